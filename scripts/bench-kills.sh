#!/bin/bash
# Does killing Launchers cost the host memory? Boots a patched kernel as
# the lguest host under QEMU (2 CPUs, 1 GB) and SIGKILLs a Launcher whose
# 64 MB guest keeps a disk busy, at 0-8 s into its run, ROUNDS x 6 times
# (tests/guest/kills-host.sh). After every six kills it prints MemFree and
# Slab (after dropping caches), the pages the kernel holds pinned (0: every
# guest page lguest pinned was unpinned) and the pins taken so far; MemFree
# must not fall with the number of killed guests.
# A benchmark, not a test: it prints figures; tests/50-lguest-devices.sh
# makes the checks.
#
# usage: scripts/bench-kills.sh [--no-build] [--rounds N] [nopae|pae]
#   nopae|pae      the host kernel (default nopae)
#   --no-build     use the kernel already built in build/out-VARIANT
#   --rounds N     six kills per round (default 6)
#
# The console log goes to build/bench/kills-VARIANT.log.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

host_run_opts 6 "$@"
v=$VARIANT k=$KOUT rounds=$ROUNDS
out=$BUILD/bench
mkdir -p "$out"
build_launcher "$out"
echo "=== lgio and the guest initramfs"
gcc -m32 -static -O2 -Wall -Wextra -o "$out/lgio" "$TOP/tests/guest/lgio.c"
"$TOP/scripts/mkinitramfs.sh" -o "$out/kills-guest.cpio.gz" \
	-i "$TOP/tests/guest/devices-guest.sh" -f "$out/lgio=/lgio"
echo "$rounds" >"$out/kills-rounds"
mk_host_initramfs "$out/kills-host-$v.cpio.gz" "$k" "$TOP/tests/guest/kills-host.sh" \
	"$out/kills-guest.cpio.gz" -f "$out/kills-rounds=/etc/kills-rounds"
echo "=== $v host: $((rounds * 6)) Launchers killed (a few minutes)"
"$TOP/scripts/qemu-run.sh" --kernel "$k/arch/x86/boot/bzImage" \
	--initrd "$out/kills-host-$v.cpio.gz" --log "$out/kills-$v.log" --smp 2 \
	--mem 1024 --timeout $((600 + rounds * 180)) >/dev/null ||
	die "the host run failed" "read $out/kills-$v.log"
sed -n 's/^KILLS: //p' "$out/kills-$v.log"
