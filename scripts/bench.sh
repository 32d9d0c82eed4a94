#!/bin/bash
# Run the lgbench micro-benchmarks (tools/bench) on the unpatched and on the
# patched kernel of one page-table mode, one QEMU run each (per round) with
# the same flags, and print the figures side by side with the ratio new/ref.
# A benchmark, not a test: it judges nothing, it only reports.
#
# usage: scripts/bench.sh [options] [nopae|pae|x86_64]
#   nopae|pae        page-table mode (default nopae): compares base-MODE
#                    (unpatched) with MODE (patched)
#   x86_64           the 64-bit kernels (configs/x86_64.config, a KVM
#                    guest's: PARAVIRT, which the series changes), base-x86_64
#                    against x86_64, under qemu-system-x86_64 with lgbench
#                    built 64-bit
#   --ref VARIANT    reference kernel instead of base-MODE
#   --new VARIANT    kernel under test instead of MODE; e.g.
#                    "--new base-nopae" for a base-vs-base noise calibration
#   --no-build       use the bzImages already built, do not call build-kernel.sh
#   --smp N          virtual CPUs (default 1)
#   --runs N         runs per figure, median reported (default 7)
#   --scale X        multiply every iteration count (default 1 for nopae,
#                    0.25 for pae)
#   --rounds N       boot each kernel N times, alternating the order
#                    (default 1); figures are the median over the rounds
#   --timeout SECS   limit for each QEMU run (default 900)
#
# Logs and a results file go to build/bench/.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode=nopae ref='' new='' build=1 smp=1 runs=7 scale='' rounds=1 qtimeout=900
while [[ $# -gt 0 ]]; do
	case $1 in
	nopae | pae | x86_64) mode=$1 ;;
	--ref) ref=${2:?--ref needs a variant}; shift ;;
	--new) new=${2:?--new needs a variant}; shift ;;
	--no-build) build= ;;
	--smp) smp=${2:?--smp needs a number}; shift ;;
	--runs) runs=${2:?--runs needs a number}; shift ;;
	--scale) scale=${2:?--scale needs a number}; shift ;;
	--rounds) rounds=${2:?--rounds needs a number}; shift ;;
	--timeout) qtimeout=${2:?--timeout needs seconds}; shift ;;
	-h | --help) usage 0 ;;
	*) echo "$PROG: error: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
ref=${ref:-base-$mode}
new=${new:-$mode}
# The pae kernels have page-table isolation: every system call and
# interrupt writes CR3, which under TCG flushes QEMU's whole software TLB,
# so they are some 5 to 30 times slower than nopae; a quarter of the
# iterations keeps a run of them to a few minutes.
if [[ -z $scale ]]; then
	scale=1
	[[ $mode != pae ]] || scale=0.25
fi
variant_tree "$ref" >/dev/null
variant_tree "$new" >/dev/null
[[ $smp =~ ^[1-4]$ ]] || die "--smp $smp: want 1 to 4 CPUs" "the kernels are built with CONFIG_NR_CPUS=4"
[[ $runs =~ ^[0-9]+$ && $runs -ge 1 && $runs -le 31 ]] || die "--runs $runs: want 1 to 31"
[[ $scale =~ ^[0-9]*\.?[0-9]+$ ]] || die "--scale $scale: want a positive number, e.g. 0.1"
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds $rounds: want a positive number"

need_cmd gcc gcc-multilib
need_cmd make
for s in build-kernel.sh mkinitramfs.sh qemu-run.sh; do
	[[ -x $TOP/scripts/$s ]] ||
		die "scripts/$s is missing" "it comes with the workspace: update your checkout"
done

OUT=$BUILD/bench
mkdir -p "$OUT"

info "building lgbench"
make -s -C "$TOP/tools/bench" OUT="$OUT" >"$OUT/make.log" 2>&1 ||
	die "lgbench did not build" "see $OUT/make.log"

# The x86_64 kernels run lgbench built 64-bit (the i386 busybox of the
# initramfs runs on their IA32_EMULATION), under qemu-system-x86_64 as
# tests/30-selftests-native.sh boots them: an AMD CPU without SMAP.
cpio=$OUT/bench.cpio.gz lgbench=$OUT/lgbench qemu_env=() qemu_cpu=()
if [[ $mode == x86_64 ]]; then
	cpio=$OUT/bench64.cpio.gz lgbench=$OUT/lgbench64
	qemu_env=(QEMU_SYSTEM=qemu-system-x86_64)
	qemu_cpu=(--cpu 'max,vendor=AuthenticAMD,-smap')
fi
"$TOP/scripts/mkinitramfs.sh" -o "$cpio" -i "$TOP/tests/guest/run-bench.sh" \
	-f "$lgbench=/bin/lgbench" >"$OUT/mkinitramfs.log" 2>&1 ||
	die "the benchmark initramfs was not made" "see $OUT/mkinitramfs.log"

bzimage() { printf '%s\n' "$BUILD/out-$1/arch/x86/boot/bzImage"; }

for v in "$ref" "$new"; do
	if [[ -n $build ]]; then
		info "building kernel $v"
		"$TOP/scripts/build-kernel.sh" "$v" ||
			die "kernel $v did not build" "see the build-kernel.sh message above"
	fi
	[[ -f $(bzimage "$v") ]] ||
		die "no kernel $(bzimage "$v")" "build it: scripts/build-kernel.sh $v"
done

# Same QEMU flags for both kernels (qemu-run.sh's default CPU model).
# Under TCG the TSC calibration
# against the PIT succeeds or fails from one boot to the next, and the
# kernel then picks tsc-early, pit or refined-jiffies: pin the clocksource
# so that every boot counts time the same way.
qemu_flags=("${qemu_cpu[@]}" --smp "$smp" --mem 256 --timeout "$qtimeout"
	--append "tsc=unstable clocksource=refined-jiffies bench.runs=$runs bench.scale=$scale")

# figures LOG: "name median unit min" for every BENCH line of a log.
figures() {
	tr -d '\r' <"$1" |
		grep -a -o 'BENCH [a-z0-9_]* [0-9.]* [A-Za-z0-9/-]* min=[0-9.]*' |
		awk '{ sub("min=", "", $5); print $2, $3, $4, $5 }'
}

# TCG runs on host time: anything else running skews the figures.
load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" 'BEGIN { exit !(l > 1.0) }'; then
	warn "load average $load: the machine is busy, expect noisy figures"
fi

# One boot per kernel and round; from the second round on, the order
# alternates (ref new, new ref, ...) so that a drift of the machine's speed
# does not always favour the same kernel.
all=$OUT/figures.txt
: >"$all"
rm -f "$OUT"/round*.log
times=
for ((r = 1; r <= rounds; r++)); do
	sides=(ref new)
	((r % 2)) || sides=(new ref)
	for side in "${sides[@]}"; do
		v=$ref
		[[ $side == ref ]] || v=$new
		log=$OUT/round$r-$side-$v.log
		info "round $r/$rounds: kernel $v ($side), $smp CPU(s), log $log"
		start=$SECONDS
		rc=0
		env "${qemu_env[@]}" "$TOP/scripts/qemu-run.sh" --kernel "$(bzimage "$v")" --initrd "$cpio" \
			--log "$log" "${qemu_flags[@]}" >/dev/null || rc=$?
		times+="${times:+, }$v $((SECONDS - start))s"
		[[ $rc -eq 0 ]] ||
			die "the benchmark run on $v failed (qemu-run.sh exit $rc)" \
				"see $log (2 timeout: raise --timeout or lower --scale)"
		[[ -n $(figures "$log") ]] || die "no BENCH lines in $log" "look at the end of $log"
		figures "$log" | sed "s/^/$side /" >>"$all"
	done
done

table=$OUT/results-$ref-vs-$new.txt
{
	printf '# lgbench, %s CPU(s), runs=%s scale=%s rounds=%s, %s (ref) vs %s (new), %s\n' \
		"$smp" "$runs" "$scale" "$rounds" "$ref" "$new" "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf '# QEMU run times: %s; load average before: %s, after: %s\n' \
		"$times" "$load" \
		"$(cut -d' ' -f1 /proc/loadavg)"
	# Per figure and side: the median of the rounds' medians (one round:
	# the median itself) and the smallest minimum.
	awk -v ra="$ref" -v nb="$new" '
		function ratio(x, y) { return (y > 0 && x != "-") ? sprintf("%.3f", x / y) : "-" }
		function median(side, f,    n, i, j, t, v) {
			n = cnt[side, f]
			for (i = 1; i <= n; i++)
				v[i] = val[side, f, i]
			for (i = 2; i <= n; i++)
				for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
					t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
				}
			if (!n)
				return "-"
			return (n % 2) ? v[(n + 1) / 2] : sprintf("%.3f", (v[n / 2] + v[n / 2 + 1]) / 2)
		}
		NF == 5 {
			side = $1; f = $2
			if (!(f in unit)) {
				unit[f] = $4; order[++n] = f
			}
			val[side, f, ++cnt[side, f]] = $3
			if (!((side, f) in mn) || $5 < mn[side, f])
				mn[side, f] = $5
		}
		END {
			fmt = "%-10s %-13s %12s %12s %8s   %12s %12s %8s\n"
			printf fmt, "", "", "median", "", "", "min", "", ""
			printf fmt, "figure", "unit", ra, nb, "new/ref", ra, nb, "new/ref"
			for (i = 1; i <= n; i++) {
				f = order[i]
				a = median("ref", f); b = median("new", f)
				am = (("ref", f) in mn) ? mn["ref", f] : "-"
				bm = (("new", f) in mn) ? mn["new", f] : "-"
				printf fmt, f, unit[f], a, b, ratio(b, a), am, bm, ratio(bm, am)
			}
		}' "$all" | sed 's/[[:space:]]*$//'
} | tee "$table"
info "results saved in $table"
