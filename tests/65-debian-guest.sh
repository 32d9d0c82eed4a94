#!/bin/bash
# A Debian 12 system in an lguest guest, used as a user would: the image of
# scripts/mkdebian.sh (built on first use, then cached; see
# $DEBIAN_CACHE in scripts/lib.sh) is the root file system, on virtio-blk,
# of a 256 MB guest whose kernel is the host's (configs/debian.config has
# what systemd needs). tests/guest/debian-host.sh logs in on the guest's
# console, runs tests/guest/debian-checks.sh there (systemd reaches
# "running", journald, logind, networkd and sshd are active, dpkg
# --verify, apt-get installs from the package cache, the network), reaches
# the guest's SSH server over the tap, reboots the guest with
# `systemctl reboot` in the same Launcher, logs in again and powers it
# off with `systemctl poweroff`: the Launcher must exit 0. Host and guest
# consoles must be clean. The guest's boot time (systemd-analyze) is
# printed as "DEBIAN-BOOT:" lines.
#
# usage: tests/65-debian-guest.sh [--out DIR] [VARIANT...]   (default: nopae pae)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

out=$TEST_LOGS/debian-guest
mkdir -p "$out"

LGUEST_HOST_DISK=$("$TOP/scripts/mkdebian.sh" | tail -n 1)
export LGUEST_HOST_DISK
build_launcher "$out"
# The Debian guest boots without an initramfs; the host's initramfs has
# the usual one all the same.
"$TOP/scripts/mkinitramfs.sh" -o "$out/guest.cpio.gz" -i "$TOP/tests/guest/run-guest.sh"
lguest_host_runs "$out" "$TOP/tests/guest/debian-host.sh" "$out/guest.cpio.gz" \
	-f "$TOP/tests/guest/debian-checks.sh=/debian-checks.sh" -- "$@"
