#!/bin/bash
# NMIs while guests run: boots a patched kernel as the lguest host under
# QEMU (2 CPUs, 1 GB), runs three smoke-suite guests one after the other
# (tests/guest/nmi-host.sh) and meanwhile injects an NMI every 40 ms
# through QEMU's monitor. Many land in the Switcher, between host and
# guest state; the host must survive them all and the guests must pass.
# Prints how many NMIs the host took, and fails if under 100 (the
# injection did not work). Test 55 runs one round per variant; more
# rounds make a stress run (see Documentation/testing.md).
#
# usage: scripts/stress-nmi.sh [--no-build] [--rounds N] [nopae|pae]
#   --no-build   use the kernel already built in build/out-VARIANT
#   --rounds N   boot the host N times (default 1)
#
# Console logs: build/stress/nmi-VARIANT-ROUND.log.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

host_run_opts 1 "$@"
v=$VARIANT k=$KOUT rounds=$ROUNDS
need_cmd python3
out=$BUILD/stress
mkdir -p "$out"
build_launcher "$out"
build_smoke "$out"
"$TOP/scripts/mkinitramfs.sh" -o "$out/nmi-guest.cpio.gz" \
	-i "$TOP/tests/guest/lguest-guest.sh" -f "$out/smoke=/smoke"
mk_host_initramfs "$out/nmi-host-$v.cpio.gz" "$k" "$TOP/tests/guest/nmi-host.sh" \
	"$out/nmi-guest.cpio.gz"

# Under 100 NMIs, the injection failed: a pass would prove nothing.
MIN_NMIS=100
status=0
for ((r = 1; r <= rounds; r++)); do
	sock=$out/nmi-monitor.sock log=$out/nmi-$v-$r.log
	rm -f "$sock"
	# The injector: connects to the monitor, waits for the guests to start,
	# then "nmi" every 40 ms until QEMU goes away.
	python3 - "$sock" "$log" <<'PY' &
import os, socket, sys, time
sock, log = sys.argv[1], sys.argv[2]
for _ in range(300):
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("stress-nmi: no QEMU monitor at " + sock)
# Until the guests start; if QEMU ends first (a host that died while
# booting), the monitor closes: give up.
s.settimeout(0.2)
while True:
    try:
        if b"NMI-STRESS: guests start" in open(log, "rb").read():
            break
    except OSError:
        pass
    try:
        if not s.recv(65536):
            sys.exit("stress-nmi: QEMU ended before the guests started")
    except socket.timeout:
        pass
    except OSError:
        sys.exit("stress-nmi: QEMU ended before the guests started")
s.settimeout(0.02)
n = 0
while True:
    try:
        s.sendall(b"nmi\n")
        n += 1
        s.recv(65536)
    except socket.timeout:
        pass
    except OSError:
        break
    time.sleep(0.04)
print("stress-nmi: %d NMIs injected" % n)
PY
	inj=$!
	rc=0
	"$TOP/scripts/qemu-run.sh" --kernel "$k/arch/x86/boot/bzImage" \
		--initrd "$out/nmi-host-$v.cpio.gz" --log "$log" --smp 2 --mem 1024 \
		--timeout 900 --qemu-arg -monitor --qemu-arg "unix:$sock,server,nowait" \
		>/dev/null || rc=$?
	# QEMU is gone: so is the injector's work.
	kill "$inj" 2>/dev/null || true
	wait "$inj" || true
	# The NMI line of the host's /proc/interrupts: a count per CPU.
	counts=$(tr -d '\r' <"$log" | sed -n 's/^NMI-STRESS: NMI: *//p' | tr -s ' ')
	nmis=0
	for n in $counts; do
		[[ $n =~ ^[0-9]+$ ]] && nmis=$((nmis + n))
	done
	echo "round $r: ${counts:-no NMI count} (host CPUs)," \
		"qemu-run.sh exit $rc$([[ $rc -eq 4 ]] && echo ': the host died without a word')"
	if [[ $rc -ne 0 ]]; then
		status=1
	elif [[ $nmis -lt $MIN_NMIS ]]; then
		echo "round $r: FAIL: the host took $nmis NMIs, want at least $MIN_NMIS (did the injection reach QEMU's monitor?)"
		status=1
	fi
done
exit "$status"
