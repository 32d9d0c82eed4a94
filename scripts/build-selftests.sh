#!/bin/bash
# Build the kernel's own x86 selftests (the 32-bit programs, static) from
# the unpatched tree into $BUILD/selftests-x86.  Incremental: make only
# rebuilds what changed.  Prints the output directory on the last line.
#
# usage: scripts/build-selftests.sh
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OUT=$BUILD/selftests-x86
HDR=$BUILD/selftests-hdr
SRC=$LINUX_BASE/tools/testing/selftests/x86

need_tree "$LINUX_BASE"
[[ -f $SRC/Makefile ]] ||
	die "$SRC/Makefile is missing" \
		"$LINUX_BASE is not a full Linux tree: scripts/apply.sh --fresh recreates it"
need_cmd gcc gcc-multilib
need_cmd make
need_cmd readelf binutils
printf 'int main(void) { return 0; }\n' |
	gcc -m32 -static -x c -o /dev/null - 2>/dev/null ||
	die "gcc cannot link static 32-bit programs" \
		"install the 32-bit C library: apt-get install gcc-multilib libc6-dev-i386"

# The selftests include <asm/...> and <linux/...>: use the uapi headers of
# the kernel under test rather than the host's.  Built out of tree so that
# the unpatched work tree stays clean.
info "installing the i386 uapi headers of $LINUX_BASE into $HDR"
make -s -C "$LINUX_BASE" O="$HDR" ARCH=i386 headers_install >"$BUILD/selftests-hdr.log" 2>&1 ||
	die "headers_install failed in $LINUX_BASE" "see $BUILD/selftests-hdr.log"

mkvars=(OUTPUT="$OUT" CAN_BUILD_I386=1 CAN_BUILD_X86_64=0
	CAN_BUILD_WITH_NOPIE=1 EXTRA_CFLAGS=-static
	KHDR_INCLUDES="-isystem $HDR/usr/include")

# Ask the Makefile itself which 32-bit programs it builds.
# shellcheck disable=SC2016 # $(...) is for make to expand
print_rule='lgst-print-binaries: ; @echo $(notdir $(BINARIES_32))'
expected=$(make -s -C "$SRC" "${mkvars[@]}" --eval "$print_rule" \
	lgst-print-binaries) ||
	die "cannot read the program list from $SRC/Makefile" \
		"the variable BINARIES_32 has moved: update the --eval line in $0"
[[ -n $expected ]] ||
	die "$SRC/Makefile lists no 32-bit programs" \
		"update the --eval line in $0 to the Makefile's variable"

mkdir -p "$OUT"
info "building the x86 selftests (32-bit, static) into $OUT"
make -C "$SRC" -j"$(nproc)" "${mkvars[@]}" all_32 >"$OUT/build.log" 2>&1 ||
	die "the selftest build failed" "see $OUT/build.log"

n=0
for prog in $expected; do
	f=$OUT/$prog
	[[ -x $f ]] || die "$prog was not built" "see $OUT/build.log"
	readelf -h "$f" | grep -q 'Class:[[:space:]]*ELF32' ||
		die "$f is not a 32-bit program" "check the -m32 rule in $SRC/Makefile"
	! readelf -l "$f" | grep -q INTERP ||
		die "$f is dynamically linked" "check EXTRA_CFLAGS=-static in $0"
	n=$((n + 1))
done
info "$n selftest programs ready in $OUT"
echo "$OUT"
