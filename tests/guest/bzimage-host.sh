#!/bin/sh
# /etc/test-init of the lguest host in tests/62-lguest-bzimage.sh (busybox
# sh): the same kernel as a bzImage of every compression the kernel can
# build (/bzImage-FORMAT), each booting a 96 MB guest to its greeting; the
# Launcher loads gzip and uncompressed payloads itself and lets the guest
# run the kernel's decompressor for the others. /bzImage-nolguest-xz, a
# kernel without CONFIG_LGUEST_GUEST, must be refused before the guest
# starts (its kernel_info has no lguest bit in entry_subarchs), naming
# the option.
# shellcheck source=tests/guest/lib.sh
. /etc/test-lib.sh

load_lg
for k in /bzImage-*; do
	f=${k#/bzImage-}
	[ "$f" = nolguest-xz ] && continue
	echo "host: === $f: lguest --verbose --initrd=/guest.cpio.gz 96 $k"
	/lguest --verbose --initrd=/guest.cpio.gz 96 "$k" </dev/null >/tmp/out 2>&1
	rc=$?
	sed "s/^/[$f] /" /tmp/out
	if [ $rc != 0 ] || ! grep -q 'LGUEST-GUEST: PASS' /tmp/out; then
		fail "$f: Launcher exit status $rc, or no greeting from the guest"
		continue
	fi
	case $f in
	gzip)
		grep -q 'the guest decompresses it' /tmp/out &&
			fail "$f: the guest ran the decompressor; the Launcher loads these itself" ;;
	*)
		grep -q "has a $f-compressed payload: the guest decompresses it" /tmp/out ||
			fail "$f: the Launcher did not say the guest decompresses it" ;;
	esac
	echo "host: $f: PASS"
done

echo "host: === a kernel without CONFIG_LGUEST_GUEST, xz-compressed"
/lguest --initrd=/guest.cpio.gz 96 /bzImage-nolguest-xz </dev/null >/tmp/out 2>&1
rc=$?
sed -e 's/^/[nolguest-xz] /' /tmp/out
[ $rc = 1 ] || fail "nolguest-xz: Launcher exit status $rc, want 1 (refused at setup)"
grep -q "was built without CONFIG_LGUEST_GUEST (its kernel_info does not list lguest in entry_subarchs)" /tmp/out ||
	fail "nolguest-xz: the Launcher did not refuse it naming CONFIG_LGUEST_GUEST"
grep -q "guest died" /tmp/out &&
	fail "nolguest-xz: the guest started"
checks_done
