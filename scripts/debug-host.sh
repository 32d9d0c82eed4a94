#!/bin/bash
# The lguest host on a kernel with the checkers 6.12 offers on i386
# (scripts/build-kernel.sh debug: the pae variant, host as lg.ko, with
# configs/debug.config: lockdep, DEBUG_ATOMIC_SLEEP, UBSAN, kmemleak,
# DEBUG_PAGEALLOC, SLUB debugging, DEBUG_LIST). It runs what test 40 runs
# (the lguest kselftest, then the guests of tests/guest/lguest-host.sh) and then a fuzzer
# round (test 47's, 20,000 operations: the checkers make the host several
# times slower), each in a host of its own. The guests run the plain pae
# kernel: the host is what is under the checkers. Any report of a checker on the
# host's console (WARNING, BUG, UBSAN, a lockdep splat) fails the run, as
# does a kmemleak report of an object the lguest host allocated (scanned
# before rmmod lg).
#
# kmemleak and DEBUG_PAGEALLOC cannot run together on this i386 kernel:
# kmemleak's first scan, a minute after boot, faults on a page that
# DEBUG_PAGEALLOC has unmapped, with no lguest involved (a native boot of
# the same kernel that just sleeps does it). So the first host runs with
# debug_pagealloc=off and kmemleak, the fuzzer's with kmemleak=off and
# DEBUG_PAGEALLOC.
#
# usage: scripts/debug-host.sh   (tests/scheduled/48-lguest-debug.sh, the
# scheduled GitLab job debug, runs it)
#
# It used to be too slow for the suite: the guests' smoke suite never
# finished under the checkers, its 200 concurrent children each losing
# its time slice refilling the guest kernel's mappings in a new shadow.
# With the kernel half shared by all shadows it takes seconds.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$TOP/scripts/build-kernel.sh" debug
"$TOP/scripts/build-kernel.sh" pae
export LGUEST_GUEST_KOUT=$BUILD/out-pae
status=0
LGUEST_HOST_APPEND=debug_pagealloc=off \
	"$TOP/tests/40-lguest.sh" --out "$BUILD/out-debug" debug || status=1
LGUEST_HOST_APPEND=kmemleak=off LGFUZZ_OPS=${LGFUZZ_OPS:-20000} \
	"$TOP/tests/47-lguest-fuzz.sh" --out "$BUILD/out-debug" debug || status=1
exit "$status"
