#!/bin/sh
# Fails if any integer or floating-point divide instruction appears in the given object
# files (x86-64 div/idiv, divss/divsd/...; AArch64 udiv/sdiv). A division on a secret has
# data-dependent latency (KyberSlash), and memcheck cannot see it.
# Usage: ct_no_division.sh OBJDUMP OBJECT...
objdump=$1
shift
found=$("$objdump" -d --no-show-raw-insn "$@" | grep -E '[[:space:]](i?div[bwlq]?|v?div[sp][sd]|[us]div)[[:space:]]')
if [ -n "$found" ]; then
  echo "divide instructions found:"
  echo "$found"
  exit 1
fi
echo "no divide instructions in $# object files"
