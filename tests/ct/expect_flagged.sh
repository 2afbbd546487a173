#!/bin/sh
# Negative control of the constant-time check: passes only when valgrind exits with 1 and
# its report names the expected error and the planted function, so the control is caught
# for the reason it was planted (not, say, a crash).
# Usage: expect_flagged.sh VALGRIND PROGRAM CONTROL MESSAGE FUNCTION
valgrind=$1 program=$2 control=$3 message=$4 function=$5
out=$("$valgrind" --error-exitcode=1 "$program" --control="$control" 2>&1)
rc=$?
if [ "$rc" -ne 1 ]; then
  echo "expected valgrind to flag the '$control' control (exit 1), got exit $rc"
  echo "$out"
  exit 1
fi
if ! echo "$out" | grep -q "$message" || ! echo "$out" | grep -q "$function"; then
  echo "valgrind failed, but not with '$message' in $function:"
  echo "$out"
  exit 1
fi
echo "control '$control' flagged as expected: $message in $function"
