#!/bin/bash
# Run the lgbench micro-benchmarks (tools/bench) on the unpatched and on the
# patched kernel of one page-table mode, one QEMU run each with the same
# flags, and print the figures side by side with the ratio new/ref.
# A benchmark, not a test: it judges nothing, it only reports.
#
# usage: scripts/bench.sh [options] [nopae|pae]
#   nopae|pae        page-table mode (default nopae): compares base-MODE
#                    (unpatched) with MODE (patched)
#   --ref VARIANT    reference kernel instead of base-MODE
#   --new VARIANT    kernel under test instead of MODE; e.g.
#                    "--new base-nopae" for a base-vs-base noise calibration
#   --no-build       use the bzImages already built, do not call build-kernel.sh
#   --smp N          virtual CPUs (default 1)
#   --runs N         runs per figure, median reported (default 7)
#   --scale X        multiply every iteration count (default 1)
#   --timeout SECS   limit for each QEMU run (default 900)
#
# Logs and a results file go to build/bench/.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	sed -n '7,20s/^# \{0,1\}//p' "$0" >&2
	exit "${1:-2}"
}

mode=nopae ref='' new='' build=1 smp=1 runs=7 scale=1 qtimeout=900
while [[ $# -gt 0 ]]; do
	case $1 in
	nopae | pae) mode=$1 ;;
	--ref) ref=${2:?--ref needs a variant}; shift ;;
	--new) new=${2:?--new needs a variant}; shift ;;
	--no-build) build= ;;
	--smp) smp=${2:?--smp needs a number}; shift ;;
	--runs) runs=${2:?--runs needs a number}; shift ;;
	--scale) scale=${2:?--scale needs a number}; shift ;;
	--timeout) qtimeout=${2:?--timeout needs seconds}; shift ;;
	-h | --help) usage 0 ;;
	*) echo "$PROG: error: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
ref=${ref:-base-$mode}
new=${new:-$mode}
variant_tree "$ref" >/dev/null
variant_tree "$new" >/dev/null
[[ $smp =~ ^[1-4]$ ]] || die "--smp $smp: want 1 to 4 CPUs" "the kernels are built with CONFIG_NR_CPUS=4"
[[ $runs =~ ^[0-9]+$ && $runs -ge 1 && $runs -le 31 ]] || die "--runs $runs: want 1 to 31"
[[ $scale =~ ^[0-9]*\.?[0-9]+$ ]] || die "--scale $scale: want a positive number, e.g. 0.1"

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

cpio=$OUT/bench.cpio.gz
"$TOP/scripts/mkinitramfs.sh" -o "$cpio" -i "$TOP/tests/guest/run-bench.sh" \
	-f "$OUT/lgbench=/bin/lgbench" >"$OUT/mkinitramfs.log" 2>&1 ||
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
qemu_flags=(--smp "$smp" --mem 256 --timeout "$qtimeout"
	--append "tsc=unstable clocksource=refined-jiffies bench.runs=$runs bench.scale=$scale")

# figures LOG: "name median unit min" for every BENCH line of a log.
figures() {
	tr -d '\r' <"$1" |
		grep -a -o 'BENCH [a-z0-9_]* [0-9.]* [a-z/]* min=[0-9.]*' |
		awk '{ sub("min=", "", $5); print $2, $3, $4, $5 }'
}

# TCG runs on host time: anything else running skews the figures.
load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" 'BEGIN { exit !(l > 1.0) }'; then
	warn "load average $load: the machine is busy, expect noisy figures"
fi

declare -A secs
i=0
for v in "$ref" "$new"; do
	i=$((i + 1))
	log=$OUT/$i-$v.log
	info "run $i: kernel $v, $smp CPU(s), log $log"
	start=$SECONDS
	rc=0
	"$TOP/scripts/qemu-run.sh" --kernel "$(bzimage "$v")" --initrd "$cpio" \
		--log "$log" "${qemu_flags[@]}" >/dev/null || rc=$?
	secs[$v$i]=$((SECONDS - start))
	[[ $rc -eq 0 ]] ||
		die "the benchmark run on $v failed (qemu-run.sh exit $rc)" \
			"see $log (2 timeout: raise --timeout or lower --scale)"
	[[ -n $(figures "$log") ]] || die "no BENCH lines in $log" "look at the end of $log"
done

table=$OUT/results-$ref-vs-$new.txt
{
	printf '# lgbench, %s CPU(s), runs=%s scale=%s, %s (ref) vs %s (new), %s\n' \
		"$smp" "$runs" "$scale" "$ref" "$new" "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf '# QEMU run time: %s %ss, %s %ss; load average before: %s, after: %s\n' \
		"$ref" "${secs[${ref}1]}" "$new" "${secs[${new}2]}" "$load" \
		"$(cut -d' ' -f1 /proc/loadavg)"
	awk -v ra="$ref" -v nb="$new" '
		FNR == 1 { file++ }
		function ratio(x, y) { return (y > 0) ? sprintf("%.3f", x / y) : "-" }
		file == 1 && NF { a[$1] = $2; unit[$1] = $3; amin[$1] = $4; order[++n] = $1 }
		file == 2 && NF { b[$1] = $2; bmin[$1] = $4 }
		END {
			fmt = "%-10s %-13s %12s %12s %8s   %12s %12s %8s\n"
			printf fmt, "", "", "median", "", "", "min", "", ""
			printf fmt, "figure", "unit", ra, nb, "new/ref", ra, nb, "new/ref"
			for (i = 1; i <= n; i++) {
				f = order[i]
				if (!(f in b)) {
					b[f] = bmin[f] = "-"
				}
				printf fmt, f, unit[f], a[f], b[f], ratio(b[f], a[f]),
					amin[f], bmin[f], ratio(bmin[f], amin[f])
			}
		}' <(figures "$OUT/1-$ref.log") <(figures "$OUT/2-$new.log") | sed 's/[[:space:]]*$//'
} | tee "$table"
info "results saved in $table"
