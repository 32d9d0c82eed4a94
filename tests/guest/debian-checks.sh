#!/bin/sh
# Run as root in the Debian guest of tests/65-debian-guest.sh, typed on its
# console after logging in (tests/guest/debian-host.sh puts this file in
# the image as /root/lguest-checks.sh). Prints "DEBIAN-CHECK: ok WHAT" or
# "DEBIAN-CHECK: FAIL WHAT" for each check, then
# "DEBIAN-CHECKS-DONE failed=N".

failed=0
ok() { echo "DEBIAN-CHECK: ok $*"; }
bad() {
	echo "DEBIAN-CHECK: FAIL $*"
	failed=$((failed + 1))
}

# shellcheck disable=SC1091 # the guest's
echo "=== $(uname -srm), $(. /etc/os-release && echo "$PRETTY_NAME"), PID 1: $(cat /proc/1/comm)"

# The boot: every unit started. "degraded" would name failed units;
# none is expected (Documentation/launcher.md, "Running Debian in a guest").
state=$(timeout 600 systemctl is-system-running --wait)
if [ "$state" = running ]; then
	ok "systemctl is-system-running: $state"
else
	bad "systemctl is-system-running: $state"
	systemctl --failed --no-pager
fi
systemd-analyze time | sed 's/^/DEBIAN-BOOT: /'
for unit in systemd-journald systemd-logind systemd-networkd ssh dbus; do
	if systemctl -q is-active "$unit"; then
		ok "$unit is active"
	else
		bad "$unit is $(systemctl is-active "$unit")"
	fi
done
if journalctl -b -o cat --no-pager | grep -q 'Startup finished'; then
	ok "journald has this boot's log"
else
	bad "journalctl has no 'Startup finished' for this boot"
fi
if loginctl list-sessions --no-legend | grep -q root; then
	ok "logind has root's session"
else
	bad "no session of root in loginctl list-sessions"
fi

# Every installed file as its package shipped it.
if out=$(dpkg --verify 2>&1) && [ -z "$out" ]; then
	ok "dpkg --verify"
else
	bad "dpkg --verify: $out"
fi

# apt: install GNU hello from the package cache (no network), run it.
if apt-get install -y --no-download hello >/tmp/apt.log 2>&1 &&
	[ "$(hello)" = "Hello, world!" ]; then
	ok "apt-get install hello from the cache, and hello runs"
else
	cat /tmp/apt.log
	bad "apt-get install hello"
fi

# The network: the address systemd-networkd gave, and the host.
if ip -4 -o addr show | grep -q 'inet 192\.168\.233\.2/24'; then
	ok "192.168.233.2/24 is configured"
else
	ip addr
	bad "no 192.168.233.2/24"
fi
if ping -c 2 -W 5 192.168.233.1 >/dev/null; then
	ok "ping the host"
else
	bad "ping 192.168.233.1"
fi

# Programs that use what a minimal initramfs never does: many
# processes, sockets, pipes, a shell pipeline and files in /tmp.
if [ "$(seq 1 2000 | sort -rn | head -n 1)" = 2000 ] &&
	[ "$(ps -e --no-headers | wc -l)" -gt 10 ]; then
	ok "coreutils and procps"
else
	bad "coreutils and procps"
fi

echo "DEBIAN-CHECKS-DONE failed=$failed"
