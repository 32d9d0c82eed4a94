#!/bin/bash
# Placeholder: build the patched `nopae` kernel and boot it natively under
# QEMU into a busybox shell on this terminal (`exit` or Ctrl-D powers off;
# Ctrl-A x quits QEMU at any time).
#
#   scripts/run.sh [--no-build]
#
# To come: boot a host kernel under QEMU and run an lguest guest in it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build=1
case ${1:-} in
"") ;;
--no-build) build='' ;;
-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
*) die "unknown argument '$1'" "usage: $0 [--no-build]" ;;
esac

need_cmd qemu-system-i386 qemu-system-x86
kernel=$BUILD/out-nopae/arch/x86/boot/bzImage
[[ -z $build ]] || "$TOP/scripts/build-kernel.sh" nopae >&2
[[ -f $kernel ]] || die "$kernel not found" "build it: scripts/build-kernel.sh nopae"

dir=$BUILD/run
mkdir -p "$dir"
cat >"$dir/shell-init.sh" <<'INIT'
#!/bin/sh
echo "lguest run.sh: busybox shell on Linux $(uname -r); 'exit' powers off"
setsid cttyhack sh -l
reboot -f
INIT
"$TOP/scripts/mkinitramfs.sh" -o "$dir/initrd.cpio.gz" -i "$dir/shell-init.sh"

# CPU and topology as in scripts/qemu-run.sh (see there why).
exec qemu-system-i386 -machine pc -accel tcg -cpu max,vendor=GenuineIntel \
	-smp 2,sockets=2,cores=1,threads=1 -m 256 \
	-nographic -no-reboot -nic none \
	-kernel "$kernel" -initrd "$dir/initrd.cpio.gz" \
	-append "console=ttyS0 panic=-1"
