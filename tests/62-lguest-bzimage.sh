#!/bin/bash
# Any bzImage the kernel builds for i386 boots as an lguest guest: the
# kernel of each host variant is linked again (in build/out-bzimage-VARIANT,
# a copy of build/out-VARIANT, so only the compressed part is rebuilt) with
# CONFIG_KERNEL_* compressions: for nopae every one, gzip, bzip2, lzma, xz,
# lzo, lz4 and zstd (x86 has no CONFIG_KERNEL_UNCOMPRESSED; the Launcher's
# unit tests load an uncompressed payload), for pae the two distributions
# use, xz and zstd. Each bzImage boots a guest on its host
# (tests/guest/bzimage-host.sh): the Launcher loads gzip and uncompressed
# payloads itself (checking the kernel's lguest ELF note) and, for the
# others, starts the guest at the kernel's own decompressor (patch
# "x86/boot/compressed: Let an lguest guest run the decompressor"). An
# unpatched kernel without CONFIG_LGUEST_GUEST (base-nopae, relinked with
# xz in build/out-bzimage-base) is refused before the guest starts, the
# Launcher naming the option (patch "x86/boot: Say in kernel_info which
# subarchitectures' entry the kernel takes"). Host and guest consoles must
# be clean.
#
# usage: tests/62-lguest-bzimage.sh [VARIANT...]   (default: nopae pae)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

out=$TEST_LOGS/lguest-bzimage
mkdir -p "$out"
FORMATS=(gzip bzip2 lzma xz lzo lz4 zstd)

# relink TREE FROM TO FORMAT...: copy the build in FROM to TO and, for
# each FORMAT, set that compression and make bzImage there; the result is
# $out/bzImage-PREFIXFORMAT ($prefix).
relink() {
	local tree=$1 from=$2 to=$3 f sym s
	shift 3
	rsync -a --delete "$from/" "$to/"
	for f in "$@"; do
		sym=KERNEL_${f^^}
		for s in GZIP BZIP2 LZMA XZ LZO LZ4 ZSTD; do
			"$tree/scripts/config" --file "$to/.config" --disable "KERNEL_$s"
		done
		"$tree/scripts/config" --file "$to/.config" --enable "$sym"
		echo "=== bzImage with $sym"
		make -s -C "$tree" O="$to" ARCH=i386 CC="ccache gcc" olddefconfig >/dev/null
		grep -qx "CONFIG_$sym=y" "$to/.config" || die "$sym did not stick in $to/.config"
		make -s -C "$tree" O="$to" ARCH=i386 CC="ccache gcc" -j"$JOBS" bzImage >"$out/make-$f.log" 2>&1 ||
			die "bzImage with $sym did not build" "see $out/make-$f.log"
		cp "$to/arch/x86/boot/bzImage" "$out/bzImage-$prefix$f"
	done
}

variants=("$@")
[[ ${#variants[@]} -gt 0 ]] || variants=(nopae pae)
"$TOP/scripts/build-kernel.sh" base-nopae >/dev/null
prefix=nolguest- relink "$LINUX_BASE" "$BUILD/out-base-nopae" "$BUILD/out-bzimage-base" xz
build_launcher "$out"
"$TOP/scripts/mkinitramfs.sh" -o "$out/guest.cpio.gz" -i "$TOP/tests/guest/run-guest.sh"
status=0
for v in "${variants[@]}"; do
	case $v in
	nopae) formats=("${FORMATS[@]}") ;;
	pae) formats=(xz zstd) ;;
	*) die "unknown variant '$v'" "usage: $0 [nopae|pae]..." ;;
	esac
	"$TOP/scripts/build-kernel.sh" "$v" >/dev/null
	prefix=$v- relink "$LINUX" "$BUILD/out-$v" "$BUILD/out-bzimage-$v" "${formats[@]}"
	files=(-f "$out/bzImage-nolguest-xz=/bzImage-nolguest-xz")
	for f in "${formats[@]}"; do
		files+=(-f "$out/bzImage-$v-$f=/bzImage-$f")
	done
	lguest_host_runs "$out" "$TOP/tests/guest/bzimage-host.sh" "$out/guest.cpio.gz" \
		"${files[@]}" -- --out "$BUILD/out-$v" "$v" || status=1
done
exit "$status"
