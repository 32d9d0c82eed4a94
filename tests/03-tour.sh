#!/bin/bash
# The guided tour (Documentation/virt/lguest/tour.rst) is what the "Tour
# C.S:" comments of the tree say, every stop is there once, and it is
# valid reStructuredText.  Then the checker itself is checked, on a copy
# of the files it reads: a stop taken out, a number used twice and a
# comment changed without the document must each make it fail.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

need_tree "$LINUX"
# The system's Python, with python3-docutils from scripts/setup.sh
py=/usr/bin/python3
tour=scripts/lguest-tour.py
doc=Documentation/virt/lguest/tour.rst

echo "=== the tour in $LINUX"
(cd "$LINUX" && "$py" "$tour" --check)

echo "=== $doc as reStructuredText"
"$py" - "$LINUX/$doc" <<'PY'
import io, sys
import docutils.core
out = io.StringIO()
docutils.core.publish_doctree(open(sys.argv[1], encoding='utf-8').read(),
    settings_overrides={'warning_stream': out, 'report_level': 1,
                        'halt_level': 5})
if out.getvalue():
    sys.stderr.write(out.getvalue())
    sys.exit(f'FAIL: {sys.argv[1]}: docutils has something to say')
print('no message from docutils')
PY

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# expect_fail WHAT PATTERN: --check on the copy fails, saying PATTERN.
expect_fail() {
	local what=$1 pattern=$2
	if (cd "$tmp" && "$py" "$tour" --check) >"$tmp/out" 2>&1; then
		echo "FAIL: the check passed with $what"
		exit 1
	fi
	if ! grep -q -- "$pattern" "$tmp/out"; then
		echo "FAIL: with $what, the check did not say '$pattern':"
		sed 's/^/    /' "$tmp/out"
		exit 1
	fi
	echo "$what: refused ($(grep -m1 -- "$pattern" "$tmp/out"))"
}
# fresh: a new copy of what the script reads
fresh() {
	rm -rf "${tmp:?}"/*
	(cd "$LINUX" && "$py" - "$tmp" <<'PY'
import os, shutil, sys
sys.path.insert(0, 'scripts')
tour = __import__('lguest-tour')
dest = sys.argv[1]
for p in tour.PLACES + [tour.DOCUMENT, 'scripts/lguest-tour.py']:
    os.makedirs(os.path.dirname(os.path.join(dest, p)), exist_ok=True)
    (shutil.copytree if os.path.isdir(p) else shutil.copy)(p, os.path.join(dest, p))
PY
	)
}
# mutate STOP SED WHAT PATTERN: on a fresh copy, apply SED to the file of
# tour stop STOP; then --check must fail, saying PATTERN.
mutate() {
	local f
	fresh
	f=$(grep -rl --include='*.[chS]' "Tour $1:" "$tmp" | head -n 1)
	[[ -n $f ]] || die "no stop $1 in the copy"
	sed -i "$2" "$f"
	expect_fail "$3" "$4"
}

echo "=== the checker on a copy"
fresh
(cd "$tmp" && "$py" "$tour" --check) >/dev/null
mutate 6.2 's/Tour 6\.2:/Tour six-two:/' "stop 6.2 taken out" "tour 6.2 is missing"
mutate 3.1 's/Tour 3\.1:/Tour 3.2:/' "3.1 renumbered as 3.2" "tour 3.2 is at"
mutate 5.0 '/Tour 5\.0:/,/\*\//s/hypercall is a trap/hypercall is a jump/' \
	"stop 5.0 changed without the document" "is not what the code says"
mutate 9.3 's/Tour 9\.3:/Tour 10.1:/' "a chapter without its opening stop" \
	"tour 10.0 is missing"
echo "PASS: the tour is complete and up to date, and its check catches each change"
