#!/bin/sh
# Guest side: run every x86 selftest program (NAME_32, and NAME_64 on a
# 64-bit kernel) found in /selftests (busybox sh, as the INIT of an
# initramfs from scripts/mkinitramfs.sh).  Prints one
# line per program:
#
#   SELFTEST <name> PASS|FAIL|TIMEOUT rc=<n> secs=<n> passes=<p>/<runs>
#
# PASS only if every run of the program passed (see selftests.repeat); rc
# is the exit status of the first run that did not pass (143 or 137 for a
# timeout); secs covers all runs.  Then "LGUEST-RESULT: PASS" once every
# program has run, whatever their results: the host compares them against
# a reference run.  FAIL only when the runner itself cannot work (no
# programs, no timeout applet).
#
# Kernel command line knobs (all optional):
#   selftests.timeout=SECS   per-program timeout (default 300)
#   selftests.only=a,b       run only these programs (names with or
#                            without _32 or _64)
#   selftests.repeat=N       run each program N times (default 1)
#   selftests.verbose=1      print every program's output, not only
#                            the output of those that failed (which are
#                            run once more for it, on the console)
#   selftests.dir=DIR        where the programs are (default /selftests)

# shellcheck source=tests/guest/lib.sh
. /etc/test-lib.sh

timeout_s=$(cmdline_opt selftests.timeout 300)
only=$(cmdline_opt selftests.only "")
verbose=$(cmdline_opt selftests.verbose 0)
repeat=$(cmdline_opt selftests.repeat 1)
dir=$(cmdline_opt selftests.dir /selftests)

case $timeout_s in
'' | *[!0-9]*) result "FAIL selftests.timeout=$timeout_s is not a number of seconds" ;;
esac
case $repeat in
'' | 0 | *[!0-9]*) result "FAIL selftests.repeat=$repeat is not a positive number" ;;
esac
command -v timeout >/dev/null ||
	result "FAIL no timeout applet in the initramfs (busybox timeout)"

# busybox timeout counts seconds with sleep(), which glibc's i386 build
# makes with the 32-bit-time nanosleep syscall: without
# CONFIG_COMPAT_32BIT_TIME it fails at once and timeout kills every program
# immediately.  Then run the programs without a per-program limit (QEMU's
# timeout still ends a hung run) rather than report garbage.
# A real 2-second sleep always moves "date +%s" by 2 or more; a failing
# one returns at once (or is killed at once by timeout), and whole seconds
# can then differ by at most 1.
use_timeout=1
t0=$(date +%s)
if ! timeout 10 sleep 2 2>/dev/null || [ $(($(date +%s) - t0)) -lt 2 ]; then
	use_timeout=
	echo "SELFTEST-NOTE: sleep does not sleep (kernel without CONFIG_COMPAT_32BIT_TIME?): no per-program timeout"
fi

progs=
for f in "$dir"/*_32 "$dir"/*_64; do
	[ -x "$f" ] || continue
	name=${f##*/}
	if [ -n "$only" ]; then
		case ",$only," in
		*",${name%_[36][24]},"* | *",$name,"*) ;;
		*) continue ;;
		esac
	fi
	progs="$progs $name"
done
[ -n "$progs" ] || result "FAIL no selftest programs in $dir (selftests.only=$only)"

# run_one PROG: run PROG under the per-program timeout, if there is one.
# A program killed by the timeout dies of SIGTERM (rc 143), or of SIGKILL
# (rc 137) if it ignores SIGTERM for 10 more seconds.
run_one() {
	if [ -n "$use_timeout" ]; then
		timeout -k 10 "$timeout_s" "$1"
	else
		"$1"
	fi
}

# shellcheck disable=SC2086 # split the list into words
set -- $progs
tdesc=none
[ -z "$use_timeout" ] || tdesc=$timeout_s
echo "SELFTEST-BEGIN count=$# repeat=$repeat timeout=$tdesc cpus=$(grep -c ^processor /proc/cpuinfo) kernel=$(uname -r)"
cd /tmp 2>/dev/null || cd /
total_start=$(date +%s)
for name; do
	start=$(date +%s)
	# Every run must pass for PASS; rc is the first failing run's.
	res=PASS rc=0 passes=0 i=0
	while [ "$i" -lt "$repeat" ]; do
		i=$((i + 1))
		t=$(date +%s)
		# Output straight to the console in verbose mode: a tty, so
		# stdio line-buffers it and nothing is lost on _exit().
		if [ "$verbose" = 1 ]; then
			echo "| $name: output of run $i:"
			run_one "$dir/$name" </dev/null
		else
			run_one "$dir/$name" >/dev/null 2>&1 </dev/null
		fi
		r=$?
		if [ "$r" -eq 0 ]; then
			passes=$((passes + 1))
			continue
		fi
		[ "$rc" -ne 0 ] || rc=$r
		if [ -n "$use_timeout" ] &&
			{ [ "$r" -eq 143 ] || [ "$r" -eq 137 ]; } &&
			[ $(($(date +%s) - t)) -ge "$timeout_s" ]; then
			res=TIMEOUT
			break
		fi
		res=FAIL
	done
	secs=$(($(date +%s) - start))
	if [ "$res" = FAIL ] && [ "$verbose" != 1 ]; then
		# Into a file or a pipe, stdio buffers the whole output and
		# loses it on _exit(): run the program again on the console.
		echo "| $name: output of one more run (its result does not count):"
		run_one "$dir/$name" </dev/null
		echo "| $name: that run's exit status: $?"
	fi
	echo "SELFTEST $name $res rc=$rc secs=$secs passes=$passes/$i"
done
echo "SELFTEST-END secs=$(($(date +%s) - total_start))"
result PASS
