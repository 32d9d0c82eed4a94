#!/bin/bash
# The Launcher's devices end to end: a patched kernel boots under QEMU with
# 2 CPUs as the lguest host and runs guests (the same bzImage) with
# virtio-blk, virtio-net, virtio-rng, a reboot and dropped privileges (see
# tests/guest/devices-host.sh for every check: a 64 MB disk written by one
# guest and verified by the host and by a second guest, a read-only disk,
# flushed data surviving a SIGKILL of the Launcher mid-write, two guests
# at once with a disk each, pings and 8 MB of TCP each way over a tap with
# the data verified on both ends, entropy from virtio-rng, a guest reboot
# in the same Launcher, --chroot and --username in effect, bad option
# values refused). Host and guest consoles must be clean.
#
# usage: tests/50-lguest-devices.sh [--out DIR] [VARIANT...]   (default: nopae pae)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

kout=''
if [[ ${1:-} == --out ]]; then
	kout=$(cd "${2:?--out needs a directory}" && pwd)
	shift 2
fi
variants=("$@")
[[ ${#variants[@]} -gt 0 ]] || variants=(nopae pae)
out=$TEST_LOGS/lguest-devices
mkdir -p "$out"

build_launcher "$out"
echo "=== lgio (tests/guest/lgio.c)"
gcc -m32 -static -O2 -Wall -Wextra -o "$out/lgio" "$TOP/tests/guest/lgio.c"
"$TOP/scripts/mkinitramfs.sh" -o "$out/guest.cpio.gz" \
	-i "$TOP/tests/guest/devices-guest.sh" -f "$out/lgio=/lgio"

status=0
for v in "${variants[@]}"; do
	k=${kout:-$BUILD/out-$v}
	if [[ -z $kout ]]; then
		echo "=== $v: build"
		"$TOP/scripts/build-kernel.sh" "$v"
	fi
	mk_host_initramfs "$out/host-$v.cpio.gz" "$k" "$TOP/tests/guest/devices-host.sh" \
		"$out/guest.cpio.gz" -f "$out/lgio=/lgio" \
		-f "$TOP/tests/guest/passwd=/etc/passwd" -f "$TOP/tests/guest/group=/etc/group"
	echo "=== $v: host with 2 CPUs and 1 GB"
	rc=0
	"$TOP/scripts/qemu-run.sh" --kernel "$k/arch/x86/boot/bzImage" \
		--initrd "$out/host-$v.cpio.gz" --log "$out/$v.log" --smp 2 \
		--mem 1024 --timeout 1500 || rc=$?
	if [[ $rc -eq 0 ]]; then
		echo "=== $v: PASS"
	else
		echo "=== $v: FAIL (qemu-run.sh exit $rc, console in $out/$v.log)"
		status=1
	fi
done
exit "$status"
