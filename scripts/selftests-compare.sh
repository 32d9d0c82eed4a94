#!/bin/bash
# Compare the per-program results of two selftest runs (console logs of
# tests/guest/run-selftests.sh), print them side by side, and exit 1 if a
# program that passes in the reference run does not pass in the other one,
# or if the two runs did not see the same number of CPUs.
#
# usage: scripts/selftests-compare.sh [-a NAME] [-b NAME] [-x FILE] REF_LOG NEW_LOG
#   -a NAME   column title of REF_LOG (default: its file name)
#   -b NAME   column title of NEW_LOG (default: its file name)
#   -x FILE   the programs expected to pass in REF_LOG and not in NEW_LOG,
#             one per line as "name  # why" (blank and # lines skipped):
#             such a difference is no regression, but an expected program
#             that passes in NEW_LOG after all is one (the list is wrong)
#
# Exit: 0 no regression, 1 regression(s), 2 a log is not a complete run.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	sed -n '6,10s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

name_a='' name_b='' expected=''
while getopts a:b:x:h opt; do
	case $opt in
	a) name_a=$OPTARG ;;
	b) name_b=$OPTARG ;;
	x)
		[[ -r $OPTARG ]] || { echo "$PROG: error: cannot read $OPTARG" >&2; exit 2; }
		expected=$(sed 's/#.*//' "$OPTARG" | awk 'NF { print $1 }' | tr '\n' ' ')
		;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[[ $# -eq 2 ]] || usage
log_a=$1 log_b=$2
name_a=${name_a:-${log_a##*/}}
name_b=${name_b:-${log_b##*/}}

# results LOG: "name result rc secs passes" lines from a console log
# ("?" for a field the log lacks).  Kernel messages can land in the middle
# of a line on a shared console, so the pattern is searched anywhere.
results() {
	tr -d '\r' <"$1" |
		grep -a -o 'SELFTEST [A-Za-z0-9_.-]* \(PASS\|FAIL\|TIMEOUT\) rc=[0-9]*\( secs=[0-9]*\)\{0,1\}\( passes=[0-9]*/[0-9]*\)\{0,1\}' |
		awk '{
			secs = "?"; passes = "?"
			for (i = 5; i <= NF; i++) {
				if ($i ~ /^secs=/) secs = substr($i, 6)
				if ($i ~ /^passes=/) passes = substr($i, 8)
			}
			print $2, $3, substr($4, 4), secs, passes
		}'
}

check_log() {
	[[ -r $1 ]] || { echo "$PROG: error: cannot read $1" >&2; exit 2; }
	if ! tr -d '\r' <"$1" | grep -a -q 'SELFTEST-END'; then
		echo "$PROG: error: $1 is not a complete selftest run (no SELFTEST-END line)" >&2
		echo "$PROG:        look at the end of the log for the reason (panic, timeout)" >&2
		exit 2
	fi
}
check_log "$log_a"
check_log "$log_b"

# begin LOG KEY: a field of the log's SELFTEST-BEGIN line.
begin() {
	tr -d '\r' <"$1" | grep -a -o 'SELFTEST-BEGIN .*' | head -n 1 |
		tr ' ' '\n' | sed -n "s/^$2=//p"
}
# Different CPU counts make the runs incomparable (the cross-CPU tests
# only run with two or more): that fails.  The rest is worth a note.
mismatch=''
for key in cpus timeout repeat; do
	va=$(begin "$log_a" "$key") vb=$(begin "$log_b" "$key")
	[[ $va != "$vb" ]] || continue
	echo "note: the runs differ in $key: $name_a $key=${va:-?}, $name_b $key=${vb:-?}"
	[[ $key != cpus ]] || mismatch=1
done

rc=0
ra=$(results "$log_a")
rb=$(results "$log_b")
[[ -n $ra ]] || { echo "$PROG: error: no SELFTEST lines in $log_a" >&2; exit 2; }

# Join on the program name; a program missing from one side shows "-".
awk -v na="$name_a" -v nb="$name_b" -v expected="$expected" '
	BEGIN { ne = split(expected, e, " "); for (i = 1; i <= ne; i++) xp[e[i]] = 1 }
	# "PASS 2/2 3s", "FAIL rc=1 0/2 1s"
	function cell(res, rc, secs, passes) {
		return res (res == "PASS" ? "" : " rc=" rc) \
			(passes == "?" ? "" : " " passes) " " secs "s"
	}
	FNR == 1 { file++ }
	file == 1 && NF { ra[$1] = cell($2, $3, $4, $5); pa[$1] = ($2 == "PASS"); names[$1] = 1 }
	file == 2 && NF { rb[$1] = cell($2, $3, $4, $5); pb[$1] = ($2 == "PASS"); names[$1] = 1 }
	END {
		n = 0
		for (t in names)
			list[++n] = t
		# insertion sort: portable to every awk
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && list[j - 1] > list[j]; j--) {
				t = list[j]; list[j] = list[j - 1]; list[j - 1] = t
			}
		fmt = "%-28s %-22s %-22s %s\n"
		printf fmt, "selftest", na, nb, ""
		printf fmt, "--------", "----", "----", ""
		bad = 0; passa = 0; passb = 0
		for (i = 1; i <= n; i++) {
			t = list[i]
			a = (t in ra) ? ra[t] : "-"
			b = (t in rb) ? rb[t] : "-"
			note = ""
			if (pa[t] && !pb[t] && (t in xp)) {
				note = "(expected, see the list)"
			} else if (pa[t] && !pb[t]) {
				note = "<-- REGRESSION"
				bad++
			} else if ((t in xp) && pb[t]) {
				note = "<-- EXPECTED TO FAIL, PASSES: fix the list"
				bad++
			} else if (!pa[t] && pb[t] && (t in ra)) {
				note = "(passes only in " nb ")"
			}
			passa += pa[t]; passb += pb[t]
			printf fmt, t, a, b, note
		}
		printf "%-28s %-22s %-22s\n", "passed", passa "/" n, passb "/" n
		for (t in xp)
			if (!(t in names)) {
				printf "%s is in the expected list but ran in neither log\n", t
				bad++
			}
		if (bad) {
			printf "%d difference(s) between %s and %s beyond the expected ones\n", bad, na, nb
			exit 1
		}
		printf "no regression: every selftest passing on %s passes on %s\n", na, nb
	}' <(printf '%s\n' "$ra") <(printf '%s\n' "${rb:-}") | sed 's/[[:space:]]*$//' || rc=$?
if [[ -n $mismatch ]]; then
	echo "$name_a and $name_b saw different numbers of CPUs: the runs are not comparable (see the SELFTEST-BEGIN lines and the boot logs)"
	exit 1
fi
exit "$rc"
