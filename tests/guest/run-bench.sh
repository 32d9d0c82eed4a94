#!/bin/sh
# Guest side: run the lgbench micro-benchmarks (busybox sh, as the INIT of
# an initramfs from scripts/mkinitramfs.sh) and print their BENCH lines,
# then "LGUEST-RESULT: PASS" if lgbench completed, FAIL otherwise.
#
# Kernel command line knobs (all optional):
#   bench.runs=N     runs per figure, the median is reported (default 7)
#   bench.scale=X    multiply every iteration count (default 1)
#   bench.only=a,b   figures to measure (default all)
#   bench.bin=PATH   the benchmark program (default /bin/lgbench)

# shellcheck source=tests/guest/lib.sh
. /etc/test-lib.sh

runs=$(cmdline_opt bench.runs 7)
scale=$(cmdline_opt bench.scale 1)
only=$(cmdline_opt bench.only "")
bin=$(cmdline_opt bench.bin /bin/lgbench)

[ -x "$bin" ] || result "FAIL $bin is missing from the initramfs"

# In an lguest guest, lgbench prints the host's exits per operation from
# debugfs (lguest/host_stats).
mount -t debugfs none /sys/kernel/debug 2>/dev/null
cs=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)
echo "BENCH-BEGIN runs=$runs scale=$scale cpus=$(grep -c ^processor /proc/cpuinfo) clocksource=${cs:-?} kernel=$(uname -r)"
# blkread reads the Launcher's --block disk, if there is one.
[ -b /dev/vda ] && export LGBENCH_DISK=/dev/vda
start=$(date +%s)
# shellcheck disable=SC2046
"$bin" -r "$runs" -s "$scale" $(echo "$only" | tr , ' ')
rc=$?
echo "BENCH-END secs=$(($(date +%s) - start)) rc=$rc"
[ "$rc" -eq 0 ] || result "FAIL lgbench exited with status $rc"
result PASS
