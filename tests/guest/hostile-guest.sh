#!/bin/sh
# /etc/test-init of the hostile guests of tests/45-lguest-hostile.sh
# (busybox sh). hostile=CASE on the command line picks what the guest does:
#   none        nothing: a normal guest
#   user-hcall  run /hostile-user hcall (tests/guest/hostile-user.c):
#               int $0x1f from user mode must be a SIGSEGV, not a hypercall
#   user-segments  run /hostile-user segments: user segment registers with
#               a base or null through many trips to the host
#   user-noirq  run /hostile-user noirq ADDR, ADDR from /noirq: user code
#               whose eip is the kernel's iret window must get interrupts
#   any other   insmod /hostile.ko case=CASE (tests/guest/hostile/), with
#               lgdata= and lgvcpu= (lguest_data's and lguest_vcpu's
#               addresses) from /lgdata: the module
#               does that wrong, and for most cases the host kills the
#               guest there; the module returns only if the guest is still
#               running, which is an error unless the case is one the host
#               must survive (the module then checks it did right)
# then print "LGUEST-GUEST: PASS" or "LGUEST-GUEST: FAIL why" and power
# off (a reboot would restart the guest in its Launcher).
# shellcheck source=tests/guest/lib.sh
. /etc/test-lib.sh

verdict() {
	echo "LGUEST-GUEST: $*"
	poweroff -f
	sleep 10
}

what=$(cmdline_opt hostile '')
echo "guest: $(uname -srm), hostile=${what:-(none given)}"
case $what in
'')
	verdict FAIL "no hostile= on the kernel command line"
	;;
none)
	verdict PASS
	;;
user-hcall)
	if /hostile-user hcall; then
		verdict PASS
	else
		verdict FAIL "int \$0x1f from user mode"
	fi
	;;
user-segments)
	if /hostile-user segments; then
		verdict PASS
	else
		verdict FAIL "user segment registers"
	fi
	;;
user-noirq)
	if /hostile-user noirq "$(cat /noirq)"; then
		verdict PASS
	else
		verdict FAIL "user code at the kernel's iret window"
	fi
	;;
*)
	# shellcheck disable=SC2046 # /lgdata holds two parameters
	if insmod /hostile.ko "case=$what" $(cat /lgdata); then
		# Some more trips through the host, and a process or two.
		sleep 1
		ls / >/dev/null || verdict FAIL "hostile=$what: ls after the module"
		verdict PASS
	else
		verdict FAIL "hostile=$what: insmod failed: the guest is still running"
	fi
	;;
esac
