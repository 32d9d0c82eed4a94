#!/bin/bash
# scratch: build guest + host initramfs and boot the host
set -e
cd /work/main
O=build/out-host-nopae
scripts/mkinitramfs.sh -o build/me/lg/guest.cpio.gz -i build/me/lg/guest-init.sh
scripts/mkinitramfs.sh -o build/me/lg/host.cpio.gz -i build/me/lg/host-init.sh \
	-f tools/lguest/lguest=/lguest -f $O/arch/x86/boot/bzImage=/guest-bzImage \
	-f build/me/lg/guest.cpio.gz=/guest.cpio.gz -f $O/drivers/lguest/lg.ko=/lg.ko
scripts/qemu-run.sh --kernel $O/arch/x86/boot/bzImage --initrd build/me/lg/host.cpio.gz \
	--log build/me/lg/host.log --mem 512 --smp ${SMP:-1} --timeout ${TMO:-240} "$@"
