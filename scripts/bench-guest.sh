#!/bin/bash
# What running in an lguest guest costs: boots the patched kernel of one
# page-table mode under QEMU with 1 CPU as the lguest host, runs the
# lgbench micro-benchmarks (tools/bench) natively on it, then in a 64 MB
# guest of the same kernel on that CPU, and prints the figures side by
# side with the ratio guest/host. A benchmark, not a test: it judges
# nothing, it only reports (figures in Documentation/benchmarks.md).
#
# usage: scripts/bench-guest.sh [options] [nopae|pae]
#   nopae|pae        page-table mode (default nopae)
#   --no-build       use the kernel already built in build/out-MODE
#   --out DIR        use the kernel already built in DIR instead (e.g. the
#                    series before a change, for its figures)
#   --runs N         runs per figure, median reported (default 5)
#   --scale X        multiply every iteration count (default 0.5 for
#                    nopae, 0.1 for pae)
#   --timeout SECS   limit for the QEMU run (default 1800)
#
# LGUEST_HOST_APPEND adds to the host's command line (e.g. "nosmap nosmep").
# Log and results go to build/bench/ (guest-MODE.log, results-guest-MODE.txt;
# with --out DIR, guest-MODE-NAME.log and results-guest-MODE-NAME.txt, NAME
# the last part of DIR).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode=nopae build=1 runs=5 scale='' qtimeout=1800 kout='' tag=''
while [[ $# -gt 0 ]]; do
	case $1 in
	nopae | pae) mode=$1 ;;
	--no-build) build= ;;
	--out) kout=$(cd "${2:?--out needs a directory}" && pwd); build=''; tag=-${kout##*/}; shift ;;
	--runs) runs=${2:?--runs needs a number}; shift ;;
	--scale) scale=${2:?--scale needs a number}; shift ;;
	--timeout) qtimeout=${2:?--timeout needs seconds}; shift ;;
	-h | --help) usage 0 ;;
	*) echo "$PROG: error: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
# Page-table isolation makes every pae kernel entry flush QEMU's software
# TLB (see scripts/bench.sh); fewer iterations keep the run short.
if [[ -z $scale ]]; then
	scale=0.5
	[[ $mode != pae ]] || scale=0.1
fi
[[ $runs =~ ^[0-9]+$ && $runs -ge 1 && $runs -le 31 ]] || die "--runs $runs: want 1 to 31"
[[ $scale =~ ^[0-9]*\.?[0-9]+$ ]] || die "--scale $scale: want a positive number, e.g. 0.1"
[[ $qtimeout =~ ^[1-9][0-9]*$ ]] || die "--timeout $qtimeout: want seconds"
need_cmd gcc gcc-multilib
need_cmd make

OUT=$BUILD/bench
mkdir -p "$OUT"
kout=${kout:-$BUILD/out-$mode}
if [[ -n $build ]]; then
	info "building kernel $mode"
	"$TOP/scripts/build-kernel.sh" "$mode" >"$OUT/guest-build-$mode.log" 2>&1 ||
		die "kernel $mode did not build" "see $OUT/guest-build-$mode.log"
fi
[[ -f $kout/arch/x86/boot/bzImage ]] ||
	die "no kernel $kout/arch/x86/boot/bzImage" "build it: scripts/build-kernel.sh $mode"

info "building lgbench and the Launcher"
make -s -C "$TOP/tools/bench" OUT="$OUT" >"$OUT/make.log" 2>&1 ||
	die "lgbench did not build" "see $OUT/make.log"
build_launcher "$OUT"

guest=$OUT/bench-guest.cpio.gz host=$OUT/bench-host-$mode.cpio.gz
"$TOP/scripts/mkinitramfs.sh" -o "$guest" -i "$TOP/tests/guest/run-bench.sh" \
	-f "$OUT/lgbench=/bin/lgbench" >"$OUT/mkinitramfs.log" 2>&1 ||
	die "the guest's initramfs was not made" "see $OUT/mkinitramfs.log"
mk_host_initramfs "$host" "$kout" "$TOP/tests/guest/bench-host.sh" "$guest" \
	-f "$OUT/lgbench=/bin/lgbench" >>"$OUT/mkinitramfs.log" 2>&1 ||
	die "the host's initramfs was not made" "see $OUT/mkinitramfs.log"

load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" 'BEGIN { exit !(l > 1.0) }'; then
	warn "load average $load: the machine is busy, expect noisy figures"
fi

log=$OUT/guest-$mode$tag.log
info "host and guest on kernel $mode, 1 CPU, log $log"
start=$SECONDS
rc=0
"$TOP/scripts/qemu-run.sh" --kernel "$kout/arch/x86/boot/bzImage" --initrd "$host" \
	--log "$log" --smp 1 --mem 512 --timeout "$qtimeout" \
	--append "tsc=unstable clocksource=refined-jiffies bench.runs=$runs bench.scale=$scale${LGUEST_HOST_APPEND:+ $LGUEST_HOST_APPEND}" \
	>/dev/null || rc=$?
[[ $rc -eq 0 ]] ||
	die "the benchmark run failed (qemu-run.sh exit $rc)" \
		"see $log (2 timeout: raise --timeout or lower --scale)"

table=$OUT/results-guest-$mode$tag.txt
{
	printf '# lgbench on %s, 1 CPU, runs=%s scale=%s: lguest host natively vs a 64 MB guest, %s\n' \
		"$mode" "$runs" "$scale" "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf '# QEMU run time %ss; load average before: %s, after: %s\n' \
		"$((SECONDS - start))" "$load" "$(cut -d' ' -f1 /proc/loadavg)"
	tr -d '\r' <"$log" |
		grep -a -o -E '(HOST|GUEST) BENCH [a-z0-9_]+ [0-9.]+ [A-Za-z0-9/-]+ min=[0-9.]+' |
		awk '
		{ sub("min=", "", $6); side = $1; f = $3
		  if (!(f in unit)) { unit[f] = $5; order[++n] = f }
		  med[side, f] = $4; mn[side, f] = $6 }
		function ratio(x, y) { return (y > 0 && x != "") ? sprintf("%.2f", x / y) : "-" }
		END {
			fmt = "%-10s %-13s %12s %12s %11s   %12s %12s %11s\n"
			printf fmt, "", "", "median", "", "", "min", "", ""
			printf fmt, "figure", "unit", "host", "guest", "guest/host", "host", "guest", "guest/host"
			for (i = 1; i <= n; i++) {
				f = order[i]
				printf fmt, f, unit[f], med["HOST", f], med["GUEST", f],
					ratio(med["GUEST", f], med["HOST", f]),
					mn["HOST", f], mn["GUEST", f], ratio(mn["GUEST", f], mn["HOST", f])
			}
		}' | sed 's/[[:space:]]*$//'
	# What each operation cost the host, from the guest's lguest/host_stats.
	echo
	echo '# exits per operation in the guest, by counter (enum lguest_stat):'
	tr -d '\r' <"$log" | grep -a -o 'GUEST BENCH-EXITS .*' | cut -d' ' -f3-
} | tee "$table"
info "results saved in $table"
