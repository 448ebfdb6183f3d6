#!/usr/bin/env python3
"""Every link in README.md and docs/*.md points at a file of this repository.

A clone has nothing outside itself, so a link to ../anything or to a page that is not in the
tree is a dead link for the next reader. External http(s) links are refused too: the docs
must stand alone. TAP output, one point per document.
"""
import os
import re
import sys

root = os.path.realpath(sys.argv[1])
docs = ['README.md'] + sorted('docs/' + f for f in os.listdir(os.path.join(root, 'docs'))
                              if f.endswith('.md'))
link = re.compile(r'\]\(([^)\s]+)\)')
print(f'1..{len(docs)}')
failed = 0
for n, doc in enumerate(docs, 1):
    path = os.path.join(root, doc)
    bad = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            for target in link.findall(line):
                target = target.split('#', 1)[0]
                if not target:
                    continue  # an anchor inside the same document
                if re.match(r'^[a-z]+:', target):
                    bad.append(f'{doc}:{lineno}: "{target}" leaves the repository')
                    continue
                dest = os.path.realpath(os.path.join(os.path.dirname(path), target))
                if not dest.startswith(root + os.sep):
                    bad.append(f'{doc}:{lineno}: "{target}" points outside the repository')
                elif not os.path.exists(dest):
                    bad.append(f'{doc}:{lineno}: "{target}" does not exist')
    for b in bad:
        print('# ' + b)
    failed += bool(bad)
    print(f'{"not ok" if bad else "ok"} {n} - {doc}: every link stays in the repository')
sys.exit(1 if failed else 0)
