#!/usr/bin/env bash
# test.sh — install, build and run every DLog test (the README's test command).
#
# Stages (each prints PASS/FAIL; the last line counts them):
#   format     clang-format check of all C++ sources
#   unit       unit tests (ctest) in a RelWithDebInfo build
#   asan       unit tests built by clang with AddressSanitizer + UndefinedBehaviorSanitizer
#              (the same build also holds the libFuzzer targets)
#   tsan       unit tests built with ThreadSanitizer
#   fuzz       every libFuzzer target from the asan build, briefly (FUZZ_SECONDS each)
#   netns      interoperability and security tests against wireguard-go in network
#              namespaces (root)
# Environment: STAGES="format unit ..." to run a subset; JOBS for the build.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STAGES=${STAGES:-"format unit asan tsan fuzz netns"}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
passed=0 failed=0 failures=()

bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
export SKIP_APT=1

stage() {  # stage NAME COMMAND...
  local name=$1; shift
  echo "=== stage $name"
  local t0=$SECONDS
  if "$@"; then
    echo "=== PASS $name ($((SECONDS - t0)) s)"; passed=$((passed + 1))
  else
    echo "=== FAIL $name ($((SECONDS - t0)) s)"; failed=$((failed + 1)); failures+=("$name")
  fi
}

format_check() {
  local files
  files=$(git ls-files '*.cc' '*.h' | grep -v '^third_party/')
  # shellcheck disable=SC2086
  clang-format --dry-run -Werror $files
}

# build DIR: ninja quietly, but a failed build shows its errors (the log is kept).
build() {
  ninja -C "$1" >"$1.build.log" 2>&1 && return 0
  grep -E -A8 'error|FAILED' "$1.build.log" | head -80
  echo "build in $1 failed (whole log: $1.build.log)"
  return 1
}

unit_tests() {  # unit_tests BUILD_DIR [cmake args...]
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null && build "$dir" &&
    (cd "$dir" && ctest --output-on-failure --timeout 600 -j2)
}

# One clang build serves both the ASan/UBSan unit tests and the fuzzers.
asan_configure() {
  CC=clang CXX=clang++ cmake -S . -B build-asan -G Ninja -DDLOG_FUZZ=ON -DDLOG_BENCH=OFF \
    -DDLOG_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
}

asan_tests() {
  asan_configure && build build-asan &&
    (cd build-asan && ctest --output-on-failure --timeout 900 -j2)
}

fuzz_run() {
  local dir=build-asan
  asan_configure && build "$dir" || return 1
  local ok=0 f
  for f in "$dir"/fuzz/*_fuzz; do
    [ -x "$f" ] || continue
    local corpus="$dir/corpus/$(basename "$f")"
    mkdir -p "$corpus"
    echo "--- $(basename "$f") for ${FUZZ_SECONDS}s"
    if ! "$f" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 "$corpus" \
         >"$dir/$(basename "$f").log" 2>&1; then
      tail -50 "$dir/$(basename "$f").log"; ok=1
    else
      grep -E 'stat::number_of_executed_units' "$dir/$(basename "$f").log" || true
    fi
  done
  return $ok
}

for s in $STAGES; do
  case "$s" in
    format) stage format format_check ;;
    unit) stage unit unit_tests build ;;
    asan) stage asan asan_tests ;;
    tsan) stage tsan unit_tests build-tsan -DDLOG_SANITIZE=thread -DDLOG_BENCH=OFF \
            -DCMAKE_BUILD_TYPE=RelWithDebInfo ;;
    fuzz) stage fuzz fuzz_run ;;
    netns) stage netns env BUILD_DIR="$ROOT/build" bash tests/netns/run_all.sh ;;
    *) echo "unknown stage $s"; failed=$((failed + 1)); failures+=("$s") ;;
  esac
done

echo
[ "${#failures[@]}" -gt 0 ] && echo "failed stages: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
