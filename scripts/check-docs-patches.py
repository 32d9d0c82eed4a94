#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A documentation patch changes documentation: outside Documentation/ and
MAINTAINERS it may only point at the documents it adds.

    scripts/check-docs-patches.py PATCH...

A documentation patch is one that adds a file under Documentation/ and
adds or changes no other file but MAINTAINERS and files in which it only
adds references: each of its hunks there must add a line that names
Documentation/ and may change at most REF_LINES lines in all (a "See
Documentation/..." sentence, rewrapped). A patch that adds a file outside
Documentation/ (a tool, code) is not a documentation patch and is not
checked. Prints each offending hunk's file; exits 1 if there is one.
"""
import re
import sys

REF_LINES = 6


def hunks(path):
    """Yield (file, added files, [(added lines, removed lines)]) per file."""
    cur, new, hunk, out = None, False, None, []
    prev = ''
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('diff --git '):
                if cur:
                    out.append((cur, new, hunk_list))
                cur = re.sub(r'^diff --git a/\S+ b/', '', line)
                new, hunk_list, hunk = False, [], None
            elif line.startswith('+++ ') and prev == '--- /dev/null':
                new = True
            elif line.startswith('@@'):
                hunk = ([], [])
                hunk_list.append(hunk)
            elif hunk is not None and line.startswith('+'):
                hunk[0].append(line[1:])
            elif hunk is not None and line.startswith('-'):
                hunk[1].append(line[1:])
            prev = line
    if cur:
        out.append((cur, new, hunk_list))
    return out


def main(paths):
    bad = 0
    for path in paths:
        files = hunks(path)
        docs = [f for f, new, _ in files
                if new and f.startswith('Documentation/')]
        if not docs or any(new and not f.startswith('Documentation/')
                           for f, new, _ in files):
            continue
        for f, _, hs in files:
            if f.startswith('Documentation/') or f == 'MAINTAINERS':
                continue
            for added, removed in hs:
                if (len(added) + len(removed) > REF_LINES or
                        not any('Documentation/' in a for a in added)):
                    print('%s: a documentation patch changes %s beyond a '
                          'reference to its documents' %
                          (path.rsplit('/', 1)[-1], f))
                    bad += 1
                    break
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
