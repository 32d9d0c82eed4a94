echo "host: starting"
[ -f /lg.ko ] && insmod /lg.ko
ls -l /dev/lguest
/lguest --verbose --initrd=/guest.cpio.gz 64 /guest-bzImage > /tmp/guest.log 2>&1
rc=$?
cat /tmp/guest.log; dmesg | tail -15
echo "host: launcher exit status $rc"
if [ $rc = 0 ] && grep -q "LGUEST-GUEST: PASS" /tmp/guest.log; then
	echo "LGUEST-RESULT: PASS"
else
	echo "LGUEST-RESULT: FAIL launcher status $rc"
fi
