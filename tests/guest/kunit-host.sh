#!/bin/sh
# /etc/test-init of tests/15-kunit.sh (busybox sh): a built-in host ran
# its KUnit suite at boot; a modular one runs it when lg.ko loads.
# shellcheck source=tests/guest/lib.sh
. /etc/test-lib.sh

load_lg
echo "kunit-host: $(uname -srm), lg.ko $([ -f /lg.ko ] && echo loaded || echo 'not used: host built in')"
result PASS
