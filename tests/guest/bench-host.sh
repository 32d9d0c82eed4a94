#!/bin/sh
# /etc/test-init of scripts/bench-guest.sh (busybox sh): the lgbench
# micro-benchmarks natively on the lguest host, each line "HOST BENCH ...",
# then in a 64 MB guest of the same kernel, each line "GUEST BENCH ...".
# Knobs from the kernel command line, passed on to the guest:
#   bench.runs=N    runs per figure, the median is reported (default 7)
#   bench.scale=X   multiply every iteration count (default 1)
# shellcheck source=tests/guest/lib.sh
. /etc/test-lib.sh

runs=$(cmdline_opt bench.runs 7)
scale=$(cmdline_opt bench.scale 1)
load_lg

# The disk of blkread: the host reads the file, the guest the same file
# as its virtio-blk disk.
dd if=/dev/zero of=/tmp/disk.img bs=1M count=16 2>/dev/null ||
	result "FAIL cannot make /tmp/disk.img"

echo "host: lgbench natively"
LGBENCH_DISK=/tmp/disk.img /bin/lgbench -r "$runs" -s "$scale" >/tmp/host.log 2>&1 ||
	result "FAIL lgbench on the host: $(tail -n 3 /tmp/host.log)"
sed 's/^/HOST /' /tmp/host.log

echo "host: lgbench in a guest"
/lguest --initrd=/guest.cpio.gz --block=/tmp/disk.img 64 /guest-bzImage test.poweroff=1 \
	"bench.runs=$runs" "bench.scale=$scale" </dev/null >/tmp/guest.log 2>&1
rc=$?
grep -a 'BENCH' /tmp/guest.log | sed 's/^/GUEST /'
if [ "$rc" -ne 0 ] || ! grep -aq 'LGUEST-RESULT: PASS' /tmp/guest.log; then
	result "FAIL the guest's run (Launcher exit $rc): $(tail -n 3 /tmp/guest.log)"
fi
result PASS
