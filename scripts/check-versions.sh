#!/bin/bash
# Does the series apply onto every Linux 6.12.y that Debian ships?  For
# each version of linux-source-6.12 that `apt-cache show` lists (or each
# VERSION given), take from the package's tarball the files the series
# changes, commit them in a scratch git tree and apply the series there
# with strict `git am` (no 3-way merge, no fuzz: a patch that needs
# either fails, as it would on the whole tree). Prints one line per
# version, naming the first patch that does not apply and git's reason;
# exits 1 if any version failed or apt lists none.
#
# usage: scripts/check-versions.sh [VERSION...]
#   VERSION    a Debian version of linux-source-6.12, e.g. 6.12.117-1~deb12u1
#
# The packages (about 150 MB each) are downloaded once with apt-get
# download into $SOURCES_CACHE (default ~/.cache/lguest-sources); a
# version apt no longer lists is removed from there. About 20 s a cached
# version (reading its tarball), a few seconds more to download it. Test
# 02 of scripts/test.sh and the GitLab job "versions" run it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case ${1:-} in
-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
-*) die "unknown option '$1'" "usage: $0 [VERSION...]" ;;
esac

SOURCES_CACHE=${SOURCES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lguest-sources}

load_series
[[ ${#SERIES_FILES[@]} -gt 0 ]] || die "the series is empty"
need_cmd apt-get apt
need_cmd dpkg-deb dpkg
need_cmd xz xz-utils

if [[ $# -gt 0 ]]; then
	versions=("$@")
else
	mapfile -t versions < <(apt-cache show "$LINUX_SRC_PKG" 2>/dev/null |
		sed -n 's/^Version: //p' | sort -uV)
fi
[[ ${#versions[@]} -gt 0 ]] ||
	die "apt lists no version of $LINUX_SRC_PKG" "run apt-get update (scripts/setup.sh does)"

# The files that exist before the series and that it changes or removes:
# those it names as a/PATH, less those it creates itself.
mapfile -t touched < <(awk '
	/^--- a\// { old[substr($2, 3)] = 1 }
	/^--- \/dev\/null/ { created = 1; next }
	/^\+\+\+ b\// { if (created) new[substr($2, 3)] = 1 }
	{ created = 0 }
	END { for (f in old) if (!(f in new)) print f }
' "${SERIES_FILES[@]}" | sort)

scratch=$(mktemp -d "$BUILD/series-versions.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$SOURCES_CACHE"

# fetch VERSION: print the cached .deb of that version, downloading it.
fetch() {
	local deb
	deb=$(find "$SOURCES_CACHE" -maxdepth 1 -name "${LINUX_SRC_PKG}_${1//:/%3a}_all.deb" -print -quit)
	if [[ -z $deb ]]; then
		(cd "$SOURCES_CACHE" && apt-get download -q -o APT::Sandbox::User=root "$LINUX_SRC_PKG=$1" >&2) ||
			return 1
		deb=$(find "$SOURCES_CACHE" -maxdepth 1 -name "${LINUX_SRC_PKG}_${1//:/%3a}_all.deb" -print -quit)
	fi
	[[ -n $deb ]] && printf '%s\n' "$deb"
}

# check VERSION: 0 when the whole series applies onto it.
check() {
	local v=$1 deb dir n=0 f src
	deb=$(fetch "$v") || { echo "FAIL: $v: cannot download $LINUX_SRC_PKG=$v"; return 1; }
	dir=$scratch/$v
	mkdir -p "$dir"
	src=usr/src/$LINUX_SRC_PKG.tar.xz
	# The tarball's top directory is linux-source-6.12/.
	if ! dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./$src" |
		tar -xJf - -C "$dir" --strip-components=1 \
			"${touched[@]/#/$LINUX_SRC_PKG/}" 2>"$dir.tar-errors"; then
		echo "FAIL: $v: the tarball lacks files the series changes:"
		sed 's/^/      /' "$dir.tar-errors"
		return 1
	fi
	git -C "$dir" init -q
	git -C "$dir" add -f -A
	git -C "$dir" -c user.name=base -c user.email=base@localhost \
		commit -q -m "linux-source-6.12 $v (the files the series touches)"
	for f in "${SERIES_FILES[@]}"; do
		n=$((n + 1))
		if ! git -C "$dir" -c user.name=t -c user.email=t@localhost \
			am -q --no-3way "$f" >"$dir.am" 2>&1; then
			echo "FAIL: $v: patch $n/${#SERIES_FILES[@]} ${f##*/} does not apply:"
			grep -v '^hint:\|^When you have\|^If you prefer\|^To restore' "$dir.am" |
				sed 's/^/      /'
			return 1
		fi
	done
	echo "$v: the series (${#SERIES_FILES[@]} patches) applies"
	rm -rf "$dir"
}

fails=0
for v in "${versions[@]}"; do
	check "$v" || fails=$((fails + 1))
done

# Versions apt no longer offers take 150 MB each for nothing.
if [[ $# -eq 0 ]]; then
	for deb in "$SOURCES_CACHE/${LINUX_SRC_PKG}"_*_all.deb; do
		[[ -e $deb ]] || continue
		v=${deb##*/"${LINUX_SRC_PKG}"_}
		v=${v%_all.deb}
		v=${v//%3a/:}
		printf '%s\n' "${versions[@]}" | grep -qxF "$v" || rm -f "$deb"
	done
fi

echo "${#versions[@]} version(s) checked: ${versions[*]}"
[[ $fails -eq 0 ]]
