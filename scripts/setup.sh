#!/bin/bash
# Install what the workspace needs on Debian 12. Idempotent: does only
# what is missing, so it is cheap to run before every test run.
#
#   scripts/setup.sh
#
# As root it installs missing Debian packages (adding the i386
# architecture first); otherwise it prints the commands to run as root
# and exits 1. Then, as any user, it fetches the static i386 busybox
# into build/busybox-i386 and gitlab-ci-local into build/npm.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PACKAGES=(
	linux-source-6.12 qemu-system-x86 gcc-multilib libc6-dev-i386 sparse
	quilt ccache bc bison flex libelf-dev libssl-dev cpio xz-utils rsync
	kmod git make gcc python3 python3-ply python3-git nodejs npm perl
	iproute2 procps # ip and pgrep for the Launcher tests (tests/20)
	lib32z1-dev # static 32-bit zlib for the lguest launcher (tools/lguest)
)

installed() {
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

missing_packages() {
	local p
	for p in "${PACKAGES[@]}"; do
		case $p in
		# A Node.js from elsewhere (e.g. NodeSource's nodejs, which bundles
		# npm) is fine; Debian's npm package would conflict with it.
		nodejs) command -v node >/dev/null && continue ;;
		npm) command -v npm >/dev/null && continue ;;
		esac
		installed "$p" || printf '%s\n' "$p"
	done
}

has_i386() {
	[[ $(dpkg --print-architecture) == i386 ]] ||
		dpkg --print-foreign-architectures | grep -qx i386
}

install_packages() {
	local missing=("$@") need_arch=
	has_i386 || need_arch=1
	[[ ${#missing[@]} -gt 0 || -n $need_arch ]] || return 0
	if ! is_root; then
		{
			echo "$PROG: error: missing: ${missing[*]}${need_arch:+ (and the i386 architecture)}"
			echo "$PROG:        run as root:"
			[[ -z $need_arch ]] || echo "    dpkg --add-architecture i386"
			echo "    apt-get update"
			echo "    apt-get install -y --no-install-recommends ${missing[*]}"
			echo "$PROG:        or run this script as root."
		} >&2
		exit 1
	fi
	if [[ -n $need_arch ]]; then
		info "adding the i386 architecture"
		dpkg --add-architecture i386
	fi
	apt_update
	if [[ ${#missing[@]} -gt 0 ]]; then
		info "installing: ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y \
			--no-install-recommends "${missing[@]}" ||
			die "apt-get install failed for: ${missing[*]}" \
				"see apt's message above; fix the package source and rerun"
	fi
}

APT_UPDATED=
apt_update() {
	[[ -z $APT_UPDATED ]] || return 0
	APT_UPDATED=1
	info "apt-get update"
	# One index may fail (e.g. a mirror's size mismatch): go on with what
	# the other indexes give.
	apt-get update || warn "apt-get update failed; continuing with the package lists we have"
}

# The static i386 busybox for test initramfs images. It is unpacked into
# build/, not installed, so the host's busybox is left alone.
fetch_busybox() {
	[[ -x $BUSYBOX ]] && return 0
	local debs=$BUILD/debs deb
	mkdir -p "$debs"
	deb=$(find "$debs" -name 'busybox-static_*_i386.deb' | sort | tail -n 1)
	if [[ -z $deb ]]; then
		info "downloading busybox-static:i386"
		if ! (cd "$debs" && apt-get download busybox-static:i386); then
			is_root ||
				die "apt-get download busybox-static:i386 failed" \
					"the i386 package lists are probably missing: run scripts/setup.sh as root"
			apt_update
			(cd "$debs" && apt-get download busybox-static:i386) ||
				die "apt-get download busybox-static:i386 failed" \
					"check that the i386 architecture is enabled (dpkg --print-foreign-architectures)"
		fi
		deb=$(find "$debs" -name 'busybox-static_*_i386.deb' | sort | tail -n 1)
		[[ -n $deb ]] || die "busybox-static:i386 was downloaded but no .deb is in $debs"
	fi
	rm -rf "$BUILD/busybox-i386"
	dpkg-deb -x "$deb" "$BUILD/busybox-i386"
	[[ -x $BUSYBOX ]] || die "$deb has no bin/busybox" "remove $debs and rerun"
	info "busybox: $BUSYBOX ($(basename "$deb"))"
}

# gitlab-ci-local, to check .gitlab-ci.yml and run its jobs locally.
# It needs Node.js >= 18 (Debian 12 has 18.19).
fetch_gitlab_ci_local() {
	local pkg=$BUILD/npm/node_modules/gitlab-ci-local/package.json have=
	[[ -f $pkg ]] && have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pkg")
	[[ $have == "$GITLAB_CI_LOCAL_VERSION" && -x $GITLAB_CI_LOCAL ]] && return 0
	need_cmd npm
	local major
	major=$(node -p 'process.versions.node.split(".")[0]')
	[[ $major -ge 18 ]] ||
		die "gitlab-ci-local needs Node.js >= 18, this is $(node --version)" \
			"install a newer nodejs (Debian 12's nodejs is 18)"
	info "installing gitlab-ci-local@$GITLAB_CI_LOCAL_VERSION into $BUILD/npm"
	mkdir -p "$BUILD/npm"
	npm install --prefix "$BUILD/npm" --no-audit --no-fund --loglevel=error \
		"gitlab-ci-local@$GITLAB_CI_LOCAL_VERSION" ||
		die "npm install gitlab-ci-local@$GITLAB_CI_LOCAL_VERSION failed" \
			"check that the npm registry is reachable (npm ping) and rerun"
}

mapfile -t missing < <(missing_packages)
install_packages "${missing[@]}"
fetch_busybox
fetch_gitlab_ci_local
info "setup complete"
