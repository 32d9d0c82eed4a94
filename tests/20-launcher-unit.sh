#!/bin/bash
# The lguest Launcher (tools/lguest) builds as a static 32-bit program
# against the work tree's exported headers, its unit tests pass (kernel
# loading on the real nopae vmlinux and bzImage, the instruction decoder,
# port I/O, virtio-mmio and virtqueues on fake guest memory, including
# hostile rings, option parsing), and the program itself exits with the
# documented status and message on usage and setup errors.  Then the
# whole program runs against a scripted fake host (tests/lguest-fake, see
# tools/lguest/tests/fake_lgdev.c): early console, a virtio console probe
# with MMIO instructions, output and input, power off, death, restart,
# signals, ABI mismatches, and three Ctrl-C on a terminal.  No host
# (/dev/lguest) is needed.
#
# usage: tests/20-launcher-unit.sh
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

SRC=$TOP/tools/lguest
KHDR=$BUILD/out-hdr/usr/include
VARIANT=nopae
VMLINUX=$BUILD/out-$VARIANT/vmlinux
BZIMAGE=$BUILD/out-$VARIANT/arch/x86/boot/bzImage
LOG=$TEST_LOGS/launcher-unit
mkdir -p "$LOG"

need_cmd gcc gcc-multilib
need_cmd make
need_cmd readelf binutils
can_link() {
	printf 'int main(void) { return 0; }\n' |
		gcc -m32 -static -x c -o /dev/null - -lz 2>/dev/null
}
# The static 32-bit zlib (lib32z1-dev) belongs in scripts/setup.sh; until
# it is there, install it here when we can, so that a fresh machine passes.
if ! can_link && is_root && ! dpkg-query -W lib32z1-dev >/dev/null 2>&1; then
	warn "lib32z1-dev is missing (scripts/setup.sh does not install it yet): installing it"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		lib32z1-dev >"$LOG/apt.log" 2>&1 ||
		warn "apt-get install lib32z1-dev failed: see $LOG/apt.log"
fi
can_link ||
	die "gcc cannot link static 32-bit programs with zlib" \
		"install them: apt-get install gcc-multilib libc6-dev-i386 lib32z1-dev"

build_launcher "$LOG"

# The loader tests use a real kernel; build it if no other test has.
if [[ ! -f $VMLINUX || ! -f $BZIMAGE ]]; then
	echo "=== building the $VARIANT kernel for the loader tests"
	"$TOP/scripts/build-kernel.sh" "$VARIANT"
fi

echo "=== build"
make -s -C "$SRC" KHDR="$KHDR" clean
make -C "$SRC" KHDR="$KHDR" all tests

echo "=== unit tests"
status=0
"$SRC/tests/unit" --vmlinux="$VMLINUX" --bzimage="$BZIMAGE" || status=1

echo "=== the program"
L=$SRC/lguest
passed=0 failed=0
result() {
	if [[ $1 == ok ]]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $2"
	fi
}

# expect STATUS TEXT ARGS...: lguest ARGS exits with STATUS and prints
# TEXT (a fixed string) on stderr, or on stdout for --help.
expect() {
	local want=$1 text=$2 rc=0
	shift 2
	"$L" "$@" </dev/null >"$LOG/out" 2>"$LOG/err" || rc=$?
	if [[ $rc -ne $want ]]; then
		result fail "lguest $*: exit $rc, want $want ($(head -c 300 "$LOG/err"))"
	elif ! grep -qF -- "$text" "$LOG/out" "$LOG/err"; then
		result fail "lguest $*: no \"$text\" in: $(head -c 300 "$LOG/out" "$LOG/err")"
	else
		result ok
	fi
}

if readelf -h "$L" | grep -q 'Class:[[:space:]]*ELF32' &&
	readelf -h "$L" | grep -q 'Machine:[[:space:]]*Intel 80386'; then
	result ok
else
	result fail "$L is not a 32-bit i386 program"
fi
if readelf -l "$L" | grep -q INTERP; then
	result fail "$L is not static"
else
	result ok
fi

expect 0 "Exit status" --help
expect 0 "three times within one" -h
expect 1 "missing MEM_MB and KERNEL"
expect 1 "missing KERNEL" 64
expect 1 "at least 32 MiB" 16 "$VMLINUX"
expect 1 "at most 2048 MiB" 4096 "$VMLINUX"
expect 1 "is not a number" 64M "$VMLINUX"
expect 1 "unknown option '--bogus'" --bogus 64 "$VMLINUX"
expect 1 "'--initrd' needs an argument" --initrd
expect 1 "cannot open kernel /nonexistent" 64 /nonexistent
expect 1 "is a 64-bit ELF file" 64 /bin/ls
expect 1 "neither a bzImage nor an ELF vmlinux" 64 /etc/passwd
expect 1 "cannot open initrd /nonexistent" --initrd=/nonexistent 64 "$VMLINUX"
if [[ ! -e /dev/lguest ]]; then
	# Everything up to the host works: the kernel loaded.
	expect 1 "cannot open /dev/lguest: No such file or directory (is the lg module loaded? try: modprobe lg)" \
		64 "$VMLINUX" root=/dev/vda
	expect 1 "command line: root=/dev/vda console=hvc0 earlyprintk=serial,ttyS0,115200 virtio_mmio.device=4K@0x4000000:1" \
		--verbose 64 "$VMLINUX" root=/dev/vda
	if od -An -tx1 -j $(( ($(od -An -tu1 -j 0x1f1 -N1 "$BZIMAGE") + 1) * 512 + \
		$(od -An -tu4 -j 0x248 -N4 "$BZIMAGE") )) -N2 "$BZIMAGE" | grep -q '1f 8b'; then
		expect 1 "cannot open /dev/lguest" 64 "$BZIMAGE"
	else
		expect 1 "rebuild the kernel with CONFIG_KERNEL_GZIP=y or pass the vmlinux" 64 "$BZIMAGE"
	fi
else
	echo "(/dev/lguest exists: not running the program past setup here)"
fi

echo "=== the program with a fake host"
FAKE=$SRC/tests/lguest-fake
# fake SCENARIO STATUS STDIN ARGS...: run lguest-fake; its status must be
# STATUS, and the fake host must not have complained.
fake() {
	local scenario=$1 want=$2 input=$3 rc=0
	shift 3
	printf '%s' "$input" | LGUEST_FAKE=$scenario "$FAKE" "$@" \
		>"$LOG/$scenario.out" 2>"$LOG/$scenario.err" || rc=$?
	if [[ $rc -ne $want ]]; then
		result fail "fake $scenario: exit $rc, want $want: $(cat "$LOG/$scenario.err")"
	elif grep -q 'fake: FAIL' "$LOG/$scenario.err"; then
		result fail "fake $scenario: $(grep 'fake: FAIL' "$LOG/$scenario.err")"
	else
		result ok
	fi
}
# has SCENARIO out|err TEXT: the scenario's output has TEXT
has() {
	if grep -qF -- "$3" "$LOG/$1.$2"; then
		result ok
	else
		result fail "fake $1: no \"$3\" in its std$2: $(head -c 500 "$LOG/$1.$2")"
	fi
}

fake poweroff 0 "" 64 "$VMLINUX"
has poweroff out "ok"
has poweroff err "INITIALIZE mem_pages=16384 start=0x1000000 mmio_pages=16385"
fake console 0 "abc" 64 "$VMLINUX"
has console out "hello from hvc0"
has console out "bye"
has console err "fake: received 'abc' in 1 buffers"
has console err "fake: trap 13"
fake died 2 "" 64 "$VMLINUX"
has died err "lguest: guest died: Kernel panic - not syncing: test"
fake restart 0 "" 64 "$VMLINUX"
has restart out "restarted"
fake signal 2 "" 64 "$VMLINUX"
has signal err "lguest: stopped by signal 15"
fake badreason 3 "" 64 "$VMLINUX"
has badreason err "unknown pending reason 99"
fake short 3 "" 64 "$VMLINUX"
has short err "rebuild the Launcher against the running kernel's"

# On a terminal: raw mode while running, three Ctrl-C stop it (status 2),
# and the terminal settings come back.
if command -v python3 >/dev/null; then
	if LGUEST_FAKE=idle python3 - "$FAKE" "$VMLINUX" >"$LOG/tty.log" 2>&1 <<'PY'
import os, pty, select, sys, termios, time

def read_until(fd, text, timeout):
    out, end = b"", time.time() + timeout
    while text not in out and time.time() < end:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out

pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "64", sys.argv[2]])
before = termios.tcgetattr(fd)
out = read_until(fd, b"zzz", 10)
raw = termios.tcgetattr(fd)
ok = b"zzz" in out and not raw[3] & (termios.ICANON | termios.ECHO | termios.ISIG)
print("raw while running:", ok)
os.write(fd, b"\x03\x03\x03")
out = read_until(fd, b"within a second", 10)
_, status = os.waitpid(pid, 0)
after = termios.tcgetattr(fd)
print(out.decode(errors="replace"))
print("status", os.waitstatus_to_exitcode(status), "restored", after == before)
sys.exit(0 if ok and os.waitstatus_to_exitcode(status) == 2 and
         b"three Ctrl-C within a second" in out and after == before else 1)
PY
	then
		result ok
	else
		result fail "three Ctrl-C on a terminal: $(cat "$LOG/tty.log")"
	fi
fi

echo "program: $passed passed, $failed failed"
[[ $failed -eq 0 ]] || status=1
exit "$status"
