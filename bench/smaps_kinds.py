#!/usr/bin/python3
"""smaps_kinds PID - a process's resident kB by kind of mapping, one line:

  heap=  the main arena ([heap], brk)     arena=  thread arenas (64 MiB aligned)
  tstack= thread stacks (8 MiB after a guard page)
  anon=  other anonymous mappings (blocks malloc mapped on their own, ...)
  file=  files (the program, libraries)   mainstack= the main thread's stack

Diagnostic only; how the soak's RSS was explained (doc/PERFORMANCE.md, "Soak").
"""
import re
import sys

HEADER = re.compile(r'^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$')
ARENA_ALIGN = 64 << 20


def kinds(pid):
    maps = []
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = HEADER.match(line)
            if m:
                maps.append(dict(start=int(m.group(1), 16), end=int(m.group(2), 16), perm=m.group(3),
                                 inode=int(m.group(4)), name=m.group(5).strip(), rss=0))
            elif line.startswith('Rss:') and maps:
                maps[-1]['rss'] = int(line.split()[1])
    total = {}
    prev = None
    for mp in maps:
        size_kb = (mp['end'] - mp['start']) // 1024
        name = mp['name']
        if name == '[heap]':
            k = 'heap'
        elif name.startswith('[stack'):
            k = 'mainstack'
        elif name.startswith('['):
            k = 'special'
        elif mp['inode'] != 0 or name.startswith('/'):
            k = 'file'
        elif mp['start'] % ARENA_ALIGN == 0 and 'rw' in mp['perm']:
            k = 'arena'
        elif prev is not None and prev['perm'].startswith('---') and size_kb in (8188, 8192, 8196):
            k = 'tstack'
        elif mp['perm'].startswith('---'):
            k = 'guard'
        else:
            k = 'anon'
        total[k] = total.get(k, 0) + mp['rss']
        prev = mp
    return total


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    t = kinds(sys.argv[1])
    print(' '.join(f"{k}={t.get(k, 0)}" for k in ('heap', 'arena', 'tstack', 'anon', 'file', 'mainstack')))
