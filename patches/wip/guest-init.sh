echo "guest: hello from the lguest guest, $(uname -r)"
cat /proc/cpuinfo | grep -m1 "model name"
echo "LGUEST-GUEST: PASS"
poweroff -f
