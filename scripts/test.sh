#!/bin/bash
# Run the test suite: scripts/setup.sh, scripts/apply.sh, then every test
# case tests/NN-name.sh in order (each exits 0 for pass).
#
#   scripts/test.sh [-k PATTERN]... [--list] [--no-setup] [-v]
#
# -k PATTERN   run only the tests whose name contains PATTERN (a shell
#              glob; may be repeated: a test runs if any pattern matches)
# --list       print the test names and exit
# --no-setup   skip setup.sh and apply.sh
# -v           print the tail of a failing test's log (default under CI)
#
# Prints the free space below build/ (it refuses to start under 1 GB: a
# clean run writes about 5 GB), "PASS name" or "FAIL name (log: path)" per
# test, then one last line "N passed, N failed"; exits 1 if any test
# failed. Logs are in build/test-logs/NAME.log.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

patterns=() list='' setup=1 verbose=${CI:+1}
while [[ $# -gt 0 ]]; do
	case $1 in
	-k) [[ $# -ge 2 ]] || die "-k needs a pattern"; patterns+=("$2"); shift ;;
	--list) list=1 ;;
	--no-setup) setup= ;;
	-v) verbose=1 ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1'" "usage: $0 [-k PATTERN]... [--list] [--no-setup] [-v]" ;;
	esac
	shift
done

selected() {
	local p
	[[ ${#patterns[@]} -eq 0 ]] && return 0
	for p in "${patterns[@]}"; do
		# shellcheck disable=SC2053 # $p is a glob on purpose
		[[ $1 == *$p* ]] && return 0
	done
	return 1
}

tests=()
for t in "$TOP"/tests/[0-9][0-9]-*.sh; do
	[[ -f $t ]] || continue
	name=$(basename "$t" .sh)
	selected "$name" && tests+=("$name")
done

if [[ -n $list ]]; then
	[[ ${#tests[@]} -eq 0 ]] || printf '%s\n' "${tests[@]}"
	exit 0
fi
[[ ${#tests[@]} -gt 0 ]] || die "no test matches ${patterns[*]}" "see: $0 --list"

mkdir -p "$TEST_LOGS"
: >"$TEST_LOGS/durations"

# A clean run writes about 5 GB below build/ (the two kernel trees 3.6 GB,
# the kernels, initramfs images and logs). A full disk shows up as a test
# that stops mid-way with no message (its own log cannot be written), so
# say how much room there is, and refuse to start with less than 1 GB.
free_mb() { df -Pm "$BUILD" | awk 'NR == 2 { print $4 }'; }
room=$(free_mb)
echo "test.sh: ${room} MB free below $BUILD"
if [[ $room -lt 1024 ]]; then
	echo "test.sh: only ${room} MB free below $BUILD; the suite needs about 5 GB on a clean run:"
	echo "test.sh: free some space there (or remove old build/out-* directories) and run again"
	echo "0 passed, 1 failed"
	exit 1
fi
[[ -d $BUILD/linux || $room -ge 5120 ]] ||
	echo "test.sh: warning: under 5 GB free and no work tree yet; the run may fill the disk"
if [[ -n $setup ]]; then
	"$TOP/scripts/setup.sh" || die "scripts/setup.sh failed" "see its message above"
	"$TOP/scripts/apply.sh" || die "scripts/apply.sh failed" "see its message above"
fi

passed=0 failed=0
for name in "${tests[@]}"; do
	log=$TEST_LOGS/$name.log
	start=$SECONDS
	if (cd "$TOP" && bash "tests/$name.sh") </dev/null >"$log" 2>&1; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name (log: $log)"
		failed=$((failed + 1))
		if [[ -n $verbose ]]; then
			tail -n 25 "$log" | sed 's/^/    | /'
		fi
		room=$(free_mb)
		[[ $room -ge 100 ]] ||
			echo "    only ${room} MB free below $BUILD: the disk filled up during this test"
	fi
	echo "$name: $((SECONDS - start))s" >>"$TEST_LOGS/durations"
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
