#!/bin/bash
# Run checkpatch.pl --strict on every patch listed in `series`.
#
#   scripts/check-patches.sh
#
# A patch passes with zero errors, warnings and checks, apart from the
# message types listed in Documentation/checkpatch-ignore.txt (one
# "--ignore TYPE  # reason" per line). Exits 1 if any patch does not
# pass; an empty series passes.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ignore_file=$TOP/Documentation/checkpatch-ignore.txt

# read_ignores: print the ignored types, checking the file's format.
read_ignores() {
	[[ -f $ignore_file ]] || return 0
	local n=0 line re='^--ignore[[:space:]]+([A-Z0-9_]+)[[:space:]]+#[[:space:]]*[^[:space:]]'
	while IFS= read -r line || [[ -n $line ]]; do
		n=$((n + 1))
		[[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
		[[ $line =~ $re ]] ||
			die "${ignore_file#"$TOP"/}:$n: '$line'" \
				"expected: --ignore TYPE   # the reason this type is accepted"
		printf '%s\n' "${BASH_REMATCH[1]}"
	done <"$ignore_file"
}

ignore_list=$(read_ignores)
ignores=()
[[ -z $ignore_list ]] || mapfile -t ignores <<<"$ignore_list"
load_series
files=("${SERIES_FILES[@]}")
if [[ ${#files[@]} -eq 0 ]]; then
	info "the series is empty: nothing to check"
	exit 0
fi
need_tree "$LINUX"

args=(--strict --show-types --color=never)
if [[ ${#ignores[@]} -gt 0 ]]; then
	args+=(--ignore "$(IFS=,; echo "${ignores[*]}")")
	info "ignoring: ${ignores[*]}"
fi

bad=()
for f in "${files[@]}"; do
	rc=0
	out=$(cd "$LINUX" && ./scripts/checkpatch.pl "${args[@]}" "$f" 2>&1) || rc=$?
	total=$(grep -E '^total: [0-9]+ errors, [0-9]+ warnings, [0-9]+ checks' <<<"$out" || true)
	if [[ $rc -eq 0 && $total =~ ^total:\ 0\ errors,\ 0\ warnings,\ 0\ checks ]]; then
		echo "ok   ${f##*/}"
	else
		echo "FAIL ${f##*/}: ${total:-checkpatch.pl exited with status $rc}"
		while IFS= read -r line; do printf '    %s\n' "$line"; done <<<"$out"
		bad+=("${f##*/}")
	fi
done
if [[ ${#bad[@]} -gt 0 ]]; then
	die "${#bad[@]} of ${#files[@]} patch(es) do not pass checkpatch --strict: ${bad[*]}" \
		"fix them in $LINUX and run scripts/export.sh, or, with a reason," \
		"add the message type to ${ignore_file#"$TOP"/}"
fi
info "all ${#files[@]} patch(es) pass checkpatch --strict"
