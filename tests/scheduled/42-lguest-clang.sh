#!/bin/bash
# The series built with clang and the LLVM tools (LLVM=1, Debian 12's
# clang 14) works as it does with gcc: the nopae and pae kernels are built
# with scripts/build-kernel.sh --llvm (in build/out-VARIANT-llvm) and
# tests/40-lguest.sh runs on them, host and guests clang-built: the lguest
# kselftest's checks of /dev/lguest, the smoke suite in a guest, the big guest, the
# panicking and the killed ones, with clean consoles.
#
# usage: tests/scheduled/42-lguest-clang.sh [VARIANT...]   (default: nopae pae)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

variants=("$@")
[[ ${#variants[@]} -gt 0 ]] || variants=(nopae pae)
status=0
for v in "${variants[@]}"; do
	echo "=== $v: build with LLVM=1"
	"$TOP/scripts/build-kernel.sh" --llvm "$v"
	grep -q '^CONFIG_CC_IS_CLANG=y' "$BUILD/out-$v-llvm/.config" ||
		die "$BUILD/out-$v-llvm/.config is not a clang build"
	logs=$TEST_LOGS/lguest-clang-$v
	TEST_LOGS=$logs "$TOP/tests/40-lguest.sh" --out "$BUILD/out-$v-llvm" "$v" ||
		status=1
	# The host and its guests said they are clang's.
	n=$(grep -c 'Linux version .*clang version' "$logs/lguest/$v.log" || true)
	echo "=== $v: $n clang-built kernel banners in the console"
	[[ $n -ge 3 ]] || { echo "FAIL: $v: the kernels that ran are not clang's"; status=1; }
done
exit "$status"
