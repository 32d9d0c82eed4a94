#!/bin/bash
# How long Debian takes to boot in an lguest guest and natively: the same
# kernel (build/out-MODE, which has configs/debian.config) boots the same
# image (scripts/mkdebian.sh, a snapshot: the file is never written) as
# its root on a virtio disk, once as the QEMU machine itself (virtio-pci,
# 1 CPU, 256 MB) and once as a 256 MB lguest guest of that kernel booted
# as the host (1 CPU, 1 GB). Each boot ends at systemd's "Startup
# finished in ... (kernel) + ... (userspace)" line, the time to Debian's
# default target (graphical.target, which is multi-user.target and
# nothing more here), which it prints (and the machine is then stopped). A benchmark, not a test: it judges
# nothing, it only reports (figures in Documentation/benchmarks.md).
#
# usage: scripts/bench-debian.sh [--no-build] [--runs N] [nopae|pae]
#   nopae|pae   the kernel (default nopae)
#   --no-build  use the kernel and Launcher already built
#   --runs N    boots of each kind (default 1)
#
# Logs in build/bench/debian-MODE-{native,guest}-N.log.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode=nopae build=1 runs=1
while [[ $# -gt 0 ]]; do
	case $1 in
	nopae | pae) mode=$1 ;;
	--no-build) build= ;;
	--runs) runs=${2:?--runs needs a number}; shift ;;
	-h | --help) usage 0 ;;
	*) echo "$PROG: error: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
[[ $runs =~ ^[1-9][0-9]?$ ]] || die "--runs $runs: want 1 to 99"
OUT=$BUILD/bench
kout=$BUILD/out-$mode
mkdir -p "$OUT"
img=$("$TOP/scripts/mkdebian.sh" | tail -n 1)
if [[ -n $build ]]; then
	"$TOP/scripts/build-kernel.sh" "$mode" >"$OUT/debian-build-$mode.log" 2>&1 ||
		die "kernel $mode did not build" "see $OUT/debian-build-$mode.log"
	build_launcher "$OUT" >/dev/null
fi
"$TOP/scripts/mkinitramfs.sh" -o "$OUT/debian-guest.cpio.gz" -i "$TOP/tests/guest/run-guest.sh"
mk_host_initramfs "$OUT/debian-host-$mode.cpio.gz" "$kout" \
	"$TOP/tests/guest/debian-boot-host.sh" "$OUT/debian-guest.cpio.gz"

# native LOG: boot the image as the QEMU machine's root until systemd
# reports the boot finished, then stop QEMU.
native() {
	local log=$1 i=0 pid
	qemu-system-i386 -machine pc -accel tcg -cpu max,vendor=GenuineIntel -m 256 \
		-smp 1 -nographic -no-reboot -nic none \
		-drive "file=$img,format=raw,if=virtio,snapshot=on" \
		-kernel "$kout/arch/x86/boot/bzImage" \
		-append "console=ttyS0 root=/dev/vda ro panic=-1 systemd.journald.forward_to_console=1" \
		</dev/null >"$log" 2>&1 &
	pid=$!
	while ! grep -q 'Startup finished in' "$log"; do
		if ! kill -0 "$pid" 2>/dev/null || [[ $i -ge 1500 ]]; then
			kill "$pid" 2>/dev/null || true
			die "the native boot did not finish" "see $log"
		fi
		sleep 1
		i=$((i + 1))
	done
	kill "$pid"
	wait "$pid" || true
}

# boot_times LOG: "kernel userspace total" seconds from systemd's line.
boot_times() {
	tr -d '\r' <"$1" | awk '
	function secs(s,   t, n, i, v) {
		# systemd writes e.g. "1min 2.345s", "45.678s" or "987ms".
		n = split(s, t, " "); v = 0
		for (i = 1; i <= n; i++) {
			if (t[i] ~ /min$/) v += 60 * t[i]
			else if (t[i] ~ /ms$/) v += t[i] / 1000
			else v += t[i]
		}
		return v
	}
	/Startup finished in/ {
		s = $0; sub(/.*Startup finished in /, "", s)
		k = s; sub(/ \(kernel\).*/, "", k)
		u = s; sub(/.*\(kernel\) \+ /, "", u); sub(/ \(userspace\).*/, "", u)
	}
	END { printf "%.1f %.1f %.1f\n", secs(k), secs(u), secs(k) + secs(u) }'
}

printf '# Debian 12 boot, kernel %s, %s UTC; seconds by the booted system'"'"'s clock\n' \
	"$mode" "$(date -u '+%Y-%m-%d %H:%M')"
printf '%-8s %4s %10s %10s %10s\n' where run kernel userspace total
for ((r = 1; r <= runs; r++)); do
	log=$OUT/debian-$mode-native-$r.log
	native "$log"
	read -r k u t < <(boot_times "$log")
	printf '%-8s %4d %10s %10s %10s\n' native "$r" "$k" "$u" "$t"
	log=$OUT/debian-$mode-guest-$r.log
	"$TOP/scripts/qemu-run.sh" --kernel "$kout/arch/x86/boot/bzImage" \
		--initrd "$OUT/debian-host-$mode.cpio.gz" --log "$log" --smp 1 --mem 1024 \
		--timeout 1800 --qemu-arg -drive \
		--qemu-arg "file=$img,format=raw,if=virtio,snapshot=on" >/dev/null 2>&1 ||
		die "the guest's boot failed" "see $log"
	read -r k u t < <(boot_times "$log")
	printf '%-8s %4d %10s %10s %10s\n' guest "$r" "$k" "$u" "$t"
done
