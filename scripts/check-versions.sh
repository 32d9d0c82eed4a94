#!/bin/bash
# Does the series apply onto every Linux 6.12.y that Debian ships?  For
# each version of linux-source-6.12 that `apt-cache madison` lists (or
# each VERSION given), download the package (apt-get download, no root
# needed), extract its kernel tarball into a scratch git tree and apply
# the series there with strict `git am` (no 3-way merge, no fuzz: a patch
# that needs either fails).  Prints one line per version and, last,
# "N passed, M failed"; exits 1 if any version failed.
#
# usage: scripts/check-versions.sh [--keep] [VERSION...]
#   --keep     keep the downloaded packages in build/versions/ (the trees
#              are always removed: some 1.5 GB each)
#   VERSION    a Debian version of linux-source-6.12, e.g. 6.12.117-1~deb12u1
#
# Each version takes a download of about 150 MB and one or two minutes
# of extraction; it is the GitLab job "versions" (scheduled), not part of
# scripts/test.sh.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

keep=''
versions=()
while [[ $# -gt 0 ]]; do
	case $1 in
	--keep) keep=1 ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	-*) die "unknown option '$1'" "usage: $0 [--keep] [VERSION...]" ;;
	*) versions+=("$1") ;;
	esac
	shift
done
need_cmd apt-get apt
need_cmd dpkg-deb dpkg
load_series

if [[ ${#versions[@]} -eq 0 ]]; then
	mapfile -t versions < <(apt-cache madison "$LINUX_SRC_PKG" |
		awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | sort -uV)
	[[ ${#versions[@]} -gt 0 ]] ||
		die "apt-cache knows no version of $LINUX_SRC_PKG" "run apt-get update"
fi

out=$BUILD/versions
mkdir -p "$out"
passed=0 failed=0
for v in "${versions[@]}"; do
	debs=("$out/${LINUX_SRC_PKG}_${v//:/%3a}_"*.deb)
	if [[ ! -f ${debs[0]} ]]; then
		(cd "$out" && apt-get download -q "$LINUX_SRC_PKG=$v" >"$out/download.log" 2>&1) ||
			die "apt-get download $LINUX_SRC_PKG=$v failed" "see $out/download.log"
		debs=("$out/${LINUX_SRC_PKG}_${v//:/%3a}_"*.deb)
	fi
	deb=${debs[0]}
	tree=$out/tree
	rm -rf "$tree"
	mkdir -p "$tree"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO "./usr/src/$LINUX_SRC_PKG.tar.xz" | tar -xJ -C "$tree" --strip-components=1
	git -C "$tree" init -q
	git -C "$tree" -c user.name=check -c user.email=check@localhost add -f -A
	git -C "$tree" -c user.name=check -c user.email=check@localhost \
		commit -q -m "Debian $LINUX_SRC_PKG $v"
	result="applies"
	n=0
	for f in "${SERIES_FILES[@]}"; do
		n=$((n + 1))
		if ! git -C "$tree" -c user.name=check -c user.email=check@localhost \
			am -q --no-3way "$f" >"$out/am.log" 2>&1; then
			result="FAILS at patch $n/${#SERIES_FILES[@]} ${f##*/}: $(grep -m1 -E '^(error|fatal)' "$out/am.log" || true)"
			break
		fi
	done
	rm -rf "$tree"
	[[ -n $keep ]] || rm -f "$deb"
	if [[ $result == applies ]]; then
		passed=$((passed + 1))
		echo "$v: the series (${#SERIES_FILES[@]} patches) applies"
	else
		failed=$((failed + 1))
		echo "$v: the series $result"
	fi
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
