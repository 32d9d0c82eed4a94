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

out=$TEST_LOGS/lguest-devices
mkdir -p "$out"

build_launcher "$out"
echo "=== lgio (tests/guest/lgio.c)"
gcc -m32 -static -O2 -Wall -Wextra -o "$out/lgio" "$TOP/tests/guest/lgio.c"
"$TOP/scripts/mkinitramfs.sh" -o "$out/guest.cpio.gz" \
	-i "$TOP/tests/guest/devices-guest.sh" -f "$out/lgio=/lgio"
lguest_host_runs "$out" "$TOP/tests/guest/devices-host.sh" "$out/guest.cpio.gz" \
	-f "$out/lgio=/lgio" -f "$TOP/tests/guest/passwd=/etc/passwd" \
	-f "$TOP/tests/guest/group=/etc/group" -- "$@"
