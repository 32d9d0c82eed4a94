#!/bin/bash
# The patched kernels (nopae and pae) build and boot natively under QEMU
# with 2 CPUs, both CPUs come online, and the console is clean.
#
# usage: tests/10-boot-native.sh [VARIANT...]   (default: nopae pae)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

variants=("$@")
[[ ${#variants[@]} -gt 0 ]] || variants=(nopae pae)
smp=2
out=$TEST_LOGS/boot-native
mkdir -p "$out"

"$TOP/scripts/mkinitramfs.sh" -o "$out/initrd.cpio.gz" -i "$TOP/tests/guest/boot-native.sh"

status=0
for v in "${variants[@]}"; do
	echo "=== $v: build"
	"$TOP/scripts/build-kernel.sh" "$v"
	echo "=== $v: boot with $smp CPUs"
	rc=0
	"$TOP/scripts/qemu-run.sh" --kernel "$BUILD/out-$v/arch/x86/boot/bzImage" \
		--initrd "$out/initrd.cpio.gz" --log "$out/$v.log" --smp "$smp" \
		--timeout 300 --append "lguest.cpus=$smp" || rc=$?
	if [[ $rc -eq 0 ]]; then
		echo "=== $v: PASS"
	else
		echo "=== $v: FAIL (qemu-run.sh exit $rc, console in $out/$v.log)"
		status=1
	fi
done
exit "$status"
