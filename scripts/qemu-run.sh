#!/bin/bash
# Boot a kernel and initramfs under QEMU (TCG) and judge the console.
#
#   scripts/qemu-run.sh --kernel BZIMAGE --initrd CPIO --log LOG
#       [--timeout SECS] [--smp N] [--mem MB] [--cpu MODEL]
#       [--append "extra cmdline"] [--marker STRING] [--qemu-arg ARG]...
#
# Runs qemu-system-i386 ($QEMU_SYSTEM if set, e.g. qemu-system-x86_64,
# whose TCG models more of what AMD CPUs do in 32-bit mode, such as the
# legacy-mode syscall instruction) -nographic -no-reboot with the serial
# console on
# stdout (tee'd into LOG) and "console=ttyS0 panic=-1 oops=panic" on the
# kernel command line, killing it after SECS (default 300). Defaults:
# --smp 1 --mem 256 --cpu max,vendor=GenuineIntel --marker LGUEST-RESULT:
# The CPU: under TCG plain "max" says it is an AMD family 6 (K7), for which
# an SMP kernel prints "WARNING: This combination of AMD processors is not
# suitable for SMP"; with Intel's vendor string it boots clean, with every
# feature TCG has (SSE2, PAE, NX, SMEP/SMAP...), and is treated as
# Meltdown-affected, so the pae kernels really use page-table isolation.
# The N CPUs of --smp are N sockets of one core: the kernels have no ACPI,
# and SeaBIOS's MP table lists only the first CPU of each socket.
#
# The guest prints "<marker> PASS" or "<marker> FAIL <reason>" and then
# reboots; with -no-reboot, that makes QEMU exit. Exit codes, with a
# one-line verdict on stderr (first match wins):
#   3  kernel panic ("Kernel panic" on the console)
#   2  timeout (QEMU killed after SECS)
#   5  kernel warning or bug (WARNING:, BUG:, Oops, Call Trace:,
#      general protection fault, but not the "traps: PROG[PID] general
#      protection fault ip:" line that logs a user program's fault), even
#      if the marker says PASS
#   1  test failure ("<marker> FAIL")
#   6  harness error: bad arguments, or QEMU itself failed
#   4  no marker: QEMU exited without printing one
#   0  pass ("<marker> PASS" and nothing of the above)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
harness_error() {
	printf 'qemu-run: ERROR: %s\n' "$1" >&2
	[[ -z ${2:-} ]] || printf 'qemu-run:        %s\n' "$2" >&2
	exit 6
}

kernel='' initrd='' log='' timeout=300 smp=1 mem=256 cpu=max,vendor=GenuineIntel append=''
marker=LGUEST-RESULT:
qemu_args=()
while [[ $# -gt 0 ]]; do
	[[ $1 == -h || $1 == --help ]] && { usage; exit 0; }
	[[ $# -ge 2 ]] || harness_error "option $1 needs a value" "see: $0 --help"
	case $1 in
	--kernel) kernel=$2 ;;
	--initrd) initrd=$2 ;;
	--log) log=$2 ;;
	--timeout) timeout=$2 ;;
	--smp) smp=$2 ;;
	--mem) mem=$2 ;;
	--cpu) cpu=$2 ;;
	--append) append=$2 ;;
	--marker) marker=$2 ;;
	--qemu-arg) qemu_args+=("$2") ;;
	*) harness_error "unknown option '$1'" "see: $0 --help" ;;
	esac
	shift 2
done
[[ -n $kernel && -n $initrd && -n $log ]] ||
	harness_error "--kernel, --initrd and --log are required" "see: $0 --help"
[[ -f $kernel ]] || harness_error "kernel $kernel not found" "build it with scripts/build-kernel.sh"
[[ -f $initrd ]] || harness_error "initrd $initrd not found" "make it with scripts/mkinitramfs.sh"
[[ $timeout =~ ^[0-9]+$ && $smp =~ ^[0-9]+$ && $mem =~ ^[0-9]+$ ]] ||
	harness_error "--timeout, --smp and --mem take whole numbers"
qemu=${QEMU_SYSTEM:-qemu-system-i386}
command -v "$qemu" >/dev/null ||
	harness_error "$qemu not found" "install qemu-system-x86 (scripts/setup.sh as root)"

cmd=(
	"$qemu" -machine pc -accel tcg -cpu "$cpu" -m "$mem"
	-smp "$smp,sockets=$smp,cores=1,threads=1"
	-nographic -no-reboot -nic none
	-kernel "$kernel" -initrd "$initrd"
	-append "console=ttyS0 panic=-1 oops=panic${append:+ $append}"
	"${qemu_args[@]}"
)
mkdir -p "$(dirname "$log")"
printf 'qemu-run: %s\n' "${cmd[*]}" >&2

# stdin is /dev/null: QEMU must not take over (or wait for) a terminal.
set +e
timeout --kill-after=10 "$timeout" "${cmd[@]}" </dev/null 2>&1 | tee "$log"
qemu_rc=${PIPESTATUS[0]}
set -e

console=$(tr -d '\r' <"$log")
first() { grep -m1 -E "$1" <<<"$console" || true; }
panic=$(first 'Kernel panic')
# "traps: prog[pid] general protection fault ip:..." is the kernel logging
# a user program's fault (show_unhandled_signals), not a kernel one.
bad=$(grep -v -E 'traps: .*\[[0-9]+\] general protection fault ip:' <<<"$console" |
	grep -m1 -E 'WARNING:|BUG:|Oops|Call Trace:|general protection fault' || true)
failed=$(grep -m1 -F "$marker FAIL" <<<"$console" || true)
passed=$(grep -m1 -F "$marker PASS" <<<"$console" || true)

verdict() {
	printf 'qemu-run: %s (log: %s)\n' "$2" "$log" >&2
	exit "$1"
}
[[ -z $panic ]] || verdict 3 "PANIC: $panic"
[[ $qemu_rc -ne 124 && $qemu_rc -ne 137 ]] || verdict 2 "TIMEOUT: killed after ${timeout}s"
[[ -z $bad ]] || verdict 5 "KERNEL WARNING: $bad"
reason=${failed#*"$marker FAIL"}
reason=${reason# }
[[ -z $failed ]] || verdict 1 "FAIL: ${reason:-no reason given}"
[[ $qemu_rc -eq 0 ]] || verdict 6 "ERROR: QEMU failed with status $qemu_rc"
[[ -n $passed ]] || verdict 4 "NO MARKER: QEMU exited without printing '$marker'"
verdict 0 "PASS"
