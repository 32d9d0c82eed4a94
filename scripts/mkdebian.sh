#!/bin/bash
# Build a Debian 12 (bookworm) i386 root file system image for an lguest
# guest, or print the one already built with the same parameters.
#
#   scripts/mkdebian.sh [--size MB] [--packages LIST] [--mirror URL]
#                       [--out FILE] [--force]
#
# The image is a raw ext4 file system (no partition table: the guest
# mounts /dev/vda as its root) made by mmdebstrap from Debian's i386
# packages: systemd as init (with its PAM module, so that logins are
# logind sessions), udev, D-Bus, iproute2, ping, procps, less and an SSH
# server, plus --packages. It is set up for an lguest guest:
#   - a login on the Launcher's console (hvc0): root, no password;
#   - /dev/vda as / in /etc/fstab;
#   - systemd-networkd gives the first network card (the Launcher's
#     --tunnet=192.168.233.1) the address 192.168.233.2/24, with the
#     host as gateway; the SSH server listens on it (log in with a key
#     you add to /root/.ssh/authorized_keys: root has no password);
#   - apt's package lists are kept, and the .deb of GNU hello is left in
#     apt's cache, so that `apt-get install hello` works without a network
#     (the test suite uses it), and apt's sources are Debian's mirror.
#
# --size MB        the image's size (default 1024; about 330 MB are used)
# --packages LIST  more packages, comma-separated (default none)
# --mirror URL     the Debian mirror (default http://deb.debian.org/debian)
# --out FILE       where to put the image (default: in the cache directory
#                  ${XDG_CACHE_HOME:-~/.cache}/lguest-debian, named after a
#                  hash of this script's code and the parameters, so
#                  that a change to either builds a new one; the older
#                  ones there are then removed)
# --force          build it even if it exists
#
# Prints the image's path (last line). Needs root (mmdebstrap in root
# mode, so that files keep their owners) and the network, once.
# scripts/run.sh --debian builds it on first use and boots it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
short="usage: $0 [--size MB] [--packages LIST] [--mirror URL] [--out FILE] [--force]"

size=1024 packages='' mirror=http://deb.debian.org/debian out='' force=''
while [[ $# -gt 0 ]]; do
	case $1 in
	--size) size=${2:-}; shift ;;
	--packages) packages=${2:-}; shift ;;
	--mirror) mirror=${2:-}; shift ;;
	--out) out=${2:-}; shift ;;
	--force) force=1 ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1'" "$short" ;;
	esac
	shift
done
[[ $size =~ ^[0-9]+$ && $size -ge 512 ]] || die "--size '$size': give a number of MB, at least 512" "$short"
[[ $packages =~ ^[a-z0-9.+,-]*$ ]] || die "--packages '$packages': package names separated by commas" "$short"

# The guest's side of the Launcher's --tunnet network.
GUEST_NET=192.168.233
base=(systemd-sysv libpam-systemd udev dbus iproute2 iputils-ping procps less openssh-server)

default_out=''
if [[ -z $out ]]; then
	default_out=1
	# Comments do not change the image.
	key=$({
		grep -v '^[[:space:]]*#' "$0"
		printf '%s\n' "$size" "$packages" "$mirror"
	} | sha256sum | cut -c1-12)
	out=$DEBIAN_CACHE/debian-12-i386-$key.img
fi
if [[ -f $out && -z $force ]]; then
	info "up to date: $out"
	printf '%s\n' "$out"
	exit 0
fi

need_root "building a Debian image"
need_cmd mmdebstrap
need_cmd mkfs.ext4 e2fsprogs
mkdir -p "$(dirname "$out")"
root=$(mktemp -d "${TMPDIR:-/tmp}/lguest-debian.XXXXXX")
trap 'rm -rf "$root" "$out.tmp"' EXIT

include=$(IFS=,; echo "${base[*]}")${packages:+,$packages}
info "mmdebstrap bookworm i386 ($include) from $mirror"
# Hooks: configure the system for the guest, and leave only hello's .deb
# in apt's cache (the packages just installed would make the image
# 150 MB larger). Each hook's $1, the new root, is mmdebstrap's to expand.
# shellcheck disable=SC2016
mmdebstrap --arch=i386 --variant=minbase --include="$include" \
	--skip=cleanup/apt --skip=check/qemu \
	--customize-hook='echo lguest-guest >"$1/etc/hostname"' \
	--customize-hook='printf "127.0.0.1\tlocalhost\n127.0.1.1\tlguest-guest\n" >"$1/etc/hosts"' \
	--customize-hook='echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" >"$1/etc/fstab"' \
	--customize-hook='chroot "$1" passwd -d root' \
	--customize-hook="printf '[Match]\nName=eth0 en*\n\n[Network]\nAddress=$GUEST_NET.2/24\nGateway=$GUEST_NET.1\n' >\"\$1/etc/systemd/network/10-lguest.network\"" \
	--customize-hook='chroot "$1" systemctl enable systemd-networkd.service' \
	--customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb' \
	--customize-hook='chroot "$1" apt-get install --download-only -y hello' \
	bookworm "$root" "$mirror" >&2 ||
	die "mmdebstrap failed" "see its messages above (is $mirror reachable?)"

info "making a $size MB ext4 image from it"
truncate -s "${size}M" "$out.tmp"
mkfs.ext4 -q -F -L debian -d "$root" "$out.tmp" ||
	die "mkfs.ext4 -d failed" "e2fsprogs 1.43 or newer is needed"
mv "$out.tmp" "$out"
if [[ -n $default_out ]]; then
	for old in "$DEBIAN_CACHE"/debian-12-i386-*.img; do
		[[ $old == "$out" ]] || rm -f "$old"
	done
fi
info "built: $out ($(du -m "$out" | cut -f1) MB used)"
printf '%s\n' "$out"
