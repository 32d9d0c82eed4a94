#!/bin/bash
# Build the kernel's own x86 selftests (static programs) from the
# unpatched tree: the 32-bit ones into $BUILD/selftests-x86 or, with
# --64, the 64-bit ones into $BUILD/selftests-x86_64 (an x86_64 kernel
# runs both).  Incremental: make only rebuilds what changed.  Prints the
# output directory on the last line.
#
# usage: scripts/build-selftests.sh [--64]
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bits=32
case ${1:-} in
'') ;;
--64) bits=64 ;;
*) die "unknown argument '$1'" "usage: $0 [--64]" ;;
esac
if [[ $bits == 32 ]]; then
	OUT=$BUILD/selftests-x86 HDR=$BUILD/selftests-hdr arch=i386 m=-m32 elf=ELF32
	can=(CAN_BUILD_I386=1 CAN_BUILD_X86_64=0) binaries=BINARIES_32 target=all_32
else
	OUT=$BUILD/selftests-x86_64 HDR=$BUILD/selftests-hdr-64 arch=x86_64 m=-m64 elf=ELF64
	can=(CAN_BUILD_I386=0 CAN_BUILD_X86_64=1) binaries=BINARIES_64 target=all_64
fi
SRC=$LINUX_BASE/tools/testing/selftests/x86

need_tree "$LINUX_BASE"
[[ -f $SRC/Makefile ]] ||
	die "$SRC/Makefile is missing" \
		"$LINUX_BASE is not a full Linux tree: scripts/apply.sh --fresh recreates it"
need_cmd gcc gcc-multilib
need_cmd make
need_cmd readelf binutils
printf 'int main(void) { return 0; }\n' |
	gcc "$m" -static -x c -o /dev/null - 2>/dev/null ||
	die "gcc cannot link static $bits-bit programs" \
		"install the 32-bit C library: apt-get install gcc-multilib libc6-dev-i386"

# The selftests include <asm/...> and <linux/...>: use the uapi headers of
# the kernel under test rather than the host's.  Built out of tree so that
# the unpatched work tree stays clean.
info "installing the $arch uapi headers of $LINUX_BASE into $HDR"
make -s -C "$LINUX_BASE" O="$HDR" ARCH="$arch" headers_install >"$HDR.log" 2>&1 ||
	die "headers_install failed in $LINUX_BASE" "see $HDR.log"

mkvars=(OUTPUT="$OUT" "${can[@]}"
	CAN_BUILD_WITH_NOPIE=1 EXTRA_CFLAGS=-static
	KHDR_INCLUDES="-isystem $HDR/usr/include")

# Ask the Makefile itself which programs it builds.
print_rule="lgst-print-binaries: ; @echo \$(notdir \$($binaries))"
expected=$(make -s -C "$SRC" "${mkvars[@]}" --eval "$print_rule" \
	lgst-print-binaries) ||
	die "cannot read the program list from $SRC/Makefile" \
		"the variable $binaries has moved: update the --eval line in $0"
[[ -n $expected ]] ||
	die "$SRC/Makefile lists no $bits-bit programs" \
		"update the --eval line in $0 to the Makefile's variable"

mkdir -p "$OUT"
info "building the x86 selftests ($bits-bit, static) into $OUT"
make -C "$SRC" -j"$(nproc)" "${mkvars[@]}" "$target" >"$OUT/build.log" 2>&1 ||
	die "the selftest build failed" "see $OUT/build.log"

n=0
for prog in $expected; do
	f=$OUT/$prog
	[[ -x $f ]] || die "$prog was not built" "see $OUT/build.log"
	readelf -h "$f" | grep -q "Class:[[:space:]]*$elf" ||
		die "$f is not a $bits-bit program" "check the $m rule in $SRC/Makefile"
	! readelf -l "$f" | grep -q INTERP ||
		die "$f is dynamically linked" "check EXTRA_CFLAGS=-static in $0"
	n=$((n + 1))
done
info "$n selftest programs ready in $OUT"
echo "$OUT"
