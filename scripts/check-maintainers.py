#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Every file the series adds is under a MAINTAINERS F: pattern that the
series has added by the patch that adds the file.

    scripts/check-maintainers.py PATCH...    (in series order)

checkpatch's FILE_PATH_CHANGES ("does MAINTAINERS need updating?") is
accepted in Documentation/checkpatch-ignore.txt because it names no file;
this is the check it stands for. A pattern is an F: line a patch adds to
MAINTAINERS (and one it removes stops counting): "dir/" covers everything
below dir, "*" and "?" match within one path component, as in
MAINTAINERS. Prints each file not covered; exits 1 if there is one.
"""
import re
import sys


def pattern_re(pattern):
    if pattern.endswith('/'):
        return re.compile(re.escape(pattern) + '.*')
    out = ''
    for c in pattern:
        out += {'*': '[^/]*', '?': '[^/]'}.get(c, re.escape(c))
    return re.compile(out)


def main(paths):
    patterns = {}
    bad = 0
    for path in paths:
        added, in_maintainers, prev = [], False, ''
        with open(path, encoding='utf-8', errors='replace') as f:
            for line in f:
                line = line.rstrip('\n')
                if line.startswith('diff --git '):
                    in_maintainers = line.endswith(' b/MAINTAINERS')
                elif line.startswith('+++ b/') and prev == '--- /dev/null':
                    added.append(line[6:])
                elif in_maintainers and re.match(r'^[+-]F:\s', line):
                    pat = line[3:].strip()
                    if line[0] == '+':
                        patterns[pat] = pattern_re(pat)
                    else:
                        patterns.pop(pat, None)
                prev = line
        name = path.rsplit('/', 1)[-1]
        for file in added:
            if not any(r.fullmatch(file) for r in patterns.values()):
                print(f'{name}: {file} is under no F: pattern of MAINTAINERS')
                bad += 1
    if bad:
        print(f'check-maintainers: {bad} file(s) not covered')
        return 1
    print(f'check-maintainers: every file the {len(paths)} patch(es) add is covered')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
