#!/usr/bin/env python3
"""docs/design.md's job error code table says what FSIM_JOB_ERROR_MAP declares.

The header is the one declaration of the codes a failed job stores and of which are retried;
the documentation's table must list the same codes, in the same order, with the same
retryable column and meaning. TAP output.
"""
import os
import re
import sys

root = sys.argv[1]
header = open(os.path.join(root, 'core/include/fleetsim/job_error.h'), encoding='utf-8').read()
body = header[header.index('#define FSIM_JOB_ERROR_MAP(X)'):header.index('typedef enum')]
body = body.replace('\\\n', ' ')
declared = []
for m in re.finditer(r'X\(\s*(\w+)\s*,\s*"([^"]+)"\s*,\s*(true|false)\s*,'
                     r'((?:\s*"(?:[^"\\]|\\.)*")+)\s*\)', body):
    meaning = ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(4)))
    declared.append((m.group(2), 'yes' if m.group(3) == 'true' else 'no', meaning))

doc = open(os.path.join(root, 'docs/design.md'), encoding='utf-8').read()
section = doc[doc.index('### Job error codes'):]
documented = [tuple(c.strip().strip('`') for c in row.split('|')[1:4])
              for row in section.splitlines()
              if row.startswith('| `')]
documented = documented[:len(documented)]

print('1..2')
print(f'{"ok" if declared else "not ok"} 1 - the header declares {len(declared)} job error codes')
if declared == documented:
    print('ok 2 - docs/design.md lists the same codes, retryable column and meanings')
else:
    for d in declared:
        if d not in documented:
            print(f'# declared but not documented as such: {d}')
    for d in documented:
        if d not in declared:
            print(f'# documented but not declared: {d}')
    print('not ok 2 - docs/design.md lists the same codes, retryable column and meanings')
sys.exit(0 if declared and declared == documented else 1)
