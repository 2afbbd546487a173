#!/usr/bin/env bash
# setup.sh — install what DLog needs from Debian 12's archive and build it.
#   BUILD_DIR (default ./build)   where to build
#   SKIP_APT=1                    do not run apt-get (packages already present)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
  libsodium-dev libssl-dev libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev
  zlib1g-dev valgrind python3 libtomlplusplus-dev
  wireguard-go wireguard-tools iproute2 iputils-ping iperf3 tcpdump libndpi-bin tshark
  netcat-openbsd procps openssl nftables
  liblwip-dev libqrencode-dev avahi-daemon avahi-utils dnsutils libcpp-httplib-dev zbar-tools
)

if [ "${SKIP_APT:-0}" != 1 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup.sh: run as root (it installs Debian packages with apt-get), or set SKIP_APT=1" >&2
    exit 1
  fi
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "==> apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; answer no without a prompt.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

BUILD_DIR=${BUILD_DIR:-build}
echo "==> building in $BUILD_DIR"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$BUILD_DIR"
