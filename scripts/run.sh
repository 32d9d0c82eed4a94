#!/bin/bash
# The main command: boot a patched kernel under QEMU as an lguest host and
# run an lguest guest (the same kernel) in it with tools/lguest/lguest.
#
#   scripts/run.sh [--no-setup] [--no-build] [--variant nopae|pae]
#                  [--guest-mem MB] [--debian] [-- GUEST KERNEL ARGS...]
#
# From a terminal, the guest gives you a busybox shell: you type into the
# guest, through the host's serial console and the Launcher's virtio
# console. `exit` powers the guest off, then the host powers off; three
# Ctrl-C within a second stop the Launcher; Ctrl-A x quits QEMU. Without a
# terminal (e.g. in CI), the guest greets, powers off, and the exit status
# says whether all of that worked (0, else scripts/qemu-run.sh's codes).
#
# With --debian the guest is a Debian 12 system with systemd instead:
# its root file system is build/run/debian.img, a copy of the image of
# scripts/mkdebian.sh (built on first use: some 100 MB downloaded, a few
# minutes), which QEMU gives the host as a disk and the Launcher gives
# the guest as /dev/vda; changes in it are kept from run to run (delete
# the file to start afresh). The guest's network card is on a tap whose
# host side is 192.168.233.1; the guest is 192.168.233.2. From a terminal
# you get its login prompt (root, no password); `systemctl poweroff`
# ends it. Without a terminal the host logs in for you, runs
# systemd-analyze (the boot times) and `systemctl poweroff`.
#
# --no-setup     skip scripts/setup.sh and scripts/apply.sh (run first by
#                default, as for scripts/test.sh)
# --no-build     use the kernel and Launcher already built
# --variant V    the host and guest kernel: nopae (default; CONFIG_LGUEST=y)
#                or pae (PAE with page-table isolation; CONFIG_LGUEST=m)
# --guest-mem MB the guest's memory (default 128; 256 with --debian)
# --debian       boot the Debian image instead of the busybox initramfs
# GUEST KERNEL ARGS  appended to the guest's command line
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
short="usage: $0 [--no-setup] [--no-build] [--variant nopae|pae] [--guest-mem MB] [--debian] [-- ARGS...]"

setup=1 build=1 variant=nopae gmem='' debian=''
while [[ $# -gt 0 ]]; do
	case $1 in
	--no-setup) setup='' ;;
	--no-build) build='' ;;
	--variant) variant=${2:-}; shift ;;
	--guest-mem) gmem=${2:-}; shift ;;
	--debian) debian=1 ;;
	--) shift; break ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1'" "$short" ;;
	esac
	shift
done
[[ $variant == nopae || $variant == pae ]] || die "unknown variant '$variant'" "use nopae or pae"
gmem=${gmem:-${debian:+256}}
gmem=${gmem:-128}
[[ $gmem =~ ^[0-9]+$ ]] || die "--guest-mem '$gmem' is not a number of MB" "$short"
for a in "$@"; do
	[[ $a != *[,[:space:]]* ]] ||
		die "guest argument '$a' has a comma or a space" \
			"the host passes the guest's arguments on its own command line, one word each"
done

if [[ -n $setup ]]; then
	"$TOP/scripts/setup.sh" >&2 || die "scripts/setup.sh failed" "see its message above"
	"$TOP/scripts/apply.sh" >&2 || die "scripts/apply.sh failed" "see its message above"
fi
need_cmd qemu-system-i386 qemu-system-x86
kout=$BUILD/out-$variant
dir=$BUILD/run
mkdir -p "$dir"
if [[ -n $build ]]; then
	"$TOP/scripts/build-kernel.sh" "$variant" >&2
	build_launcher "$dir" >&2
fi
[[ -f $kout/arch/x86/boot/bzImage ]] ||
	die "$kout/arch/x86/boot/bzImage not found" "build it: scripts/build-kernel.sh $variant"
[[ -x $TOP/tools/lguest/lguest ]] || die "tools/lguest/lguest not built" "run without --no-build"

"$TOP/scripts/mkinitramfs.sh" -o "$dir/guest.cpio.gz" -i "$TOP/tests/guest/run-guest.sh"
mk_host_initramfs "$dir/host.cpio.gz" "$kout" "$TOP/tests/guest/run-host.sh" "$dir/guest.cpio.gz"

args=("$@")
append="lgrun.mem=$gmem"
drive=()
if [[ -n $debian ]]; then
	if [[ ! -f $dir/debian.img ]]; then
		img=$("$TOP/scripts/mkdebian.sh" | tail -n 1)
		info "copying $img to $dir/debian.img (the disk of this command's Debian guest)"
		cp --sparse=always "$img" "$dir/debian.img.tmp"
		mv "$dir/debian.img.tmp" "$dir/debian.img"
	fi
	drive=(-drive "file=$dir/debian.img,format=raw,if=virtio")
	append+=" lgrun.debian=1"
	# Without a terminal the host logs in, shows the boot times and
	# powers the guest off (tests/guest/run-host.sh).
	[[ -t 0 && -t 1 ]] || append+=" lgrun.auto=1"
fi
if [[ -t 0 && -t 1 ]]; then
	[[ -n $debian ]] || args+=(lgrun=shell)
	info "from a terminal: the guest's shell comes up after both boots (a minute or two under TCG)"
	info "exit powers the guest and then the host off; Ctrl-A x quits QEMU"
	# CPU and topology as in scripts/qemu-run.sh (see there why).
	args_csv=$(IFS=,; echo "${args[*]}")
	exec qemu-system-i386 -machine pc -accel tcg -cpu max,vendor=GenuineIntel \
		-smp 2,sockets=2,cores=1,threads=1 -m 512 \
		-nographic -no-reboot -nic none "${drive[@]}" \
		-kernel "$kout/arch/x86/boot/bzImage" -initrd "$dir/host.cpio.gz" \
		-append "console=ttyS0 panic=-1 $append lgrun.args=$args_csv"
fi
[[ ${#args[@]} -eq 0 ]] || append+=" lgrun.args=$(IFS=,; echo "${args[*]}")"
exec "$TOP/scripts/qemu-run.sh" --kernel "$kout/arch/x86/boot/bzImage" \
	--initrd "$dir/host.cpio.gz" --log "$dir/console.log" --smp 2 --mem 512 \
	--timeout "${debian:+1500}${debian:-600}" --append "$append" \
	${debian:+--qemu-arg -drive --qemu-arg "file=$dir/debian.img,format=raw,if=virtio"}
