#!/bin/bash
# Run checkpatch.pl --strict on every patch listed in `series`.
#
#   scripts/check-patches.sh
#
# A patch passes with zero errors, warnings and checks, apart from those
# listed in Documentation/checkpatch-ignore.txt: "--ignore TYPE  # reason"
# accepts a message type everywhere, "--ignore TYPE FILE  # reason" only
# in one file of the kernel tree. Then every file a patch adds must be
# under an F: pattern of MAINTAINERS by that patch
# (scripts/check-maintainers.py), and a patch that adds documents may
# change code only to point at them (scripts/check-docs-patches.py).
# Exits 1 if any patch does not pass; an empty series passes.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ignore_file=$TOP/Documentation/checkpatch-ignore.txt

# read_ignores: print the accepted messages, "TYPE" or "TYPE FILE" per
# line, checking the file's format.
read_ignores() {
	[[ -f $ignore_file ]] || return 0
	local n=0 line
	local re='^--ignore[[:space:]]+([A-Z0-9_]+)([[:space:]]+([^#[:space:]]+))?[[:space:]]+#[[:space:]]*[^[:space:]]'
	while IFS= read -r line || [[ -n $line ]]; do
		n=$((n + 1))
		[[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
		[[ $line =~ $re ]] ||
			die "${ignore_file#"$TOP"/}:$n: '$line'" \
				"expected: --ignore TYPE [FILE]   # the reason it is accepted"
		printf '%s %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[3]}"
	done <"$ignore_file"
}

# accepted_out: checkpatch's output without the messages accepted for
# their file (a message is a block from its "TYPE:NAME:" line to a blank
# line, naming the file in a "FILE: path:line:" line).
accepted_out() {
	awk -v accepted="$file_ignores" '
	BEGIN { n = split(accepted, a, "\n"); for (i = 1; i <= n; i++) ok[a[i]] = 1 }
	function flush() {
		if (block != "" && !(type " " file in ok)) { printf "%s", block; kept++ }
		block = ""; type = ""; file = ""
	}
	/^(ERROR|WARNING|CHECK):[A-Z0-9_]+:/ {
		flush(); split($0, f, ":"); type = f[2]; block = $0 "\n"; next
	}
	block != "" && /^$/ { block = block "\n"; flush(); next }
	block != "" {
		if (match($0, /FILE: [^:]+:/)) file = substr($0, RSTART + 6, RLENGTH - 7)
		block = block $0 "\n"; next
	}
	END { flush(); print "kept: " kept + 0 }'
}

ignores=() file_ignores=''
while read -r type file; do
	[[ -n $type ]] || continue
	if [[ -z $file ]]; then
		ignores+=("$type")
	else
		file_ignores+="$type $file"$'\n'
	fi
done < <(read_ignores)
need_series check
files=("${SERIES_FILES[@]}")

args=(--strict --show-types --color=never)
if [[ ${#ignores[@]} -gt 0 ]]; then
	args+=(--ignore "$(IFS=,; echo "${ignores[*]}")")
	info "ignoring: ${ignores[*]}"
fi

[[ -z $file_ignores ]] || info "accepted in one file: $(tr '\n' ';' <<<"$file_ignores")"

bad=()
for f in "${files[@]}"; do
	rc=0
	# checkpatch runs scripts/spdxcheck.py with the python3 on PATH: make
	# it Debian's, which has the python3-ply and python3-git of setup.sh.
	out=$(cd "$LINUX" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl "${args[@]}" "$f" 2>&1) || rc=$?
	left=$(accepted_out <<<"$out")
	if [[ $rc -le 1 && ${left##*kept: } == 0 ]]; then
		echo "ok   ${f##*/}"
	else
		echo "FAIL ${f##*/}: ${left##*kept: } message(s) (checkpatch.pl status $rc)"
		while IFS= read -r line; do printf '    %s\n' "$line"; done <<<"${left%kept: *}"
		bad+=("${f##*/}")
	fi
done
if [[ ${#bad[@]} -gt 0 ]]; then
	die "${#bad[@]} of ${#files[@]} patch(es) do not pass checkpatch --strict: ${bad[*]}" \
		"fix them in $LINUX and run scripts/export.sh, or, with a reason," \
		"add the message type (and file) to ${ignore_file#"$TOP"/}"
fi
info "all ${#files[@]} patch(es) pass checkpatch --strict"

# FILE_PATH_CHANGES is accepted (see checkpatch-ignore.txt): what it asks
# is checked here, file by file.
python3 "$TOP/scripts/check-maintainers.py" "${files[@]}" ||
	die "add an F: line to the LGUEST entry of MAINTAINERS in the patch" \
		"that adds the file, or in one before it"
python3 "$TOP/scripts/check-docs-patches.py" "${files[@]}" ||
	die "move what the documentation patch changes in code into the code's patch" \
		"(a documentation patch may only add references to its documents there)"
