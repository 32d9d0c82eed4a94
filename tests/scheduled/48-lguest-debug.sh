#!/bin/bash
# The lguest host under the kernel's checkers: scripts/debug-host.sh
# builds the debug variant (pae with configs/debug.config: lockdep,
# DEBUG_ATOMIC_SLEEP, UBSAN, kmemleak, DEBUG_PAGEALLOC, SLUB debugging,
# DEBUG_LIST, host as lg.ko) and runs on it test 40's host (the lguest kselftest, then
# the guests of tests/guest/lguest-host.sh, the smoke suite among them)
# and a round of test 47's fuzzer, each in a host of its own.  Any
# checker's report on the host's console fails it, and so does a
# kmemleak report of an object the lguest host allocated.
#
# usage: tests/scheduled/48-lguest-debug.sh
# The fuzzer's round is $LGFUZZ_OPS operations (default 20,000: the
# checkers make the host several times slower).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

exec "$TOP/scripts/debug-host.sh"
