#!/usr/bin/env python3
"""List public items whose doc comment lacks an `# Examples` section."""
# Run from the crate root: `python3 ci/doc-audit.py` (prints what lacks an example, and exits 1
# if anything does; `ci/doc.sh` runs it).
import re, sys, pathlib
root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else '.')
item = re.compile(r'^\s*pub (const fn|unsafe fn|fn|struct|enum|trait|type|const|static)\s+(\w+)')
trait_start = re.compile(r'^\s*pub (unsafe )?trait\s+(\w+)')
trait_fn = re.compile(r'^\s*(unsafe )?fn\s+(\w+)')
missing = []; total = 0
for path in sorted(root.glob('src/**/*.rs')):
    if 'raw' in path.parts: continue  # the single-threaded core: crate-private
    lines = path.read_text().splitlines()
    in_trait = None; depth = 0
    for i, line in enumerate(lines):
        m = item.match(line)
        tm = trait_fn.match(line) if in_trait is not None and depth == in_trait + 1 else None
        if m or tm:
            name = (m or tm).group(2)
            kind = m.group(1) if m else 'trait fn'
            j = i - 1; doc = []
            # Attributes and plain `//` comments may sit between the docs and the item.
            while j >= 0 and (lines[j].strip().startswith('///') or lines[j].strip().startswith('#[')
                              or lines[j].strip().startswith('//')):
                doc.append(lines[j]); j -= 1
            # Test-only, loom-only and hidden items (the README's doctest holder) are not
            # part of the documented API.
            if any(l.strip().startswith(('#[cfg(test', '#[cfg(leakless_loom', '#[cfg(doctest', '#[doc(hidden'))
                   for l in doc): continue
            text = '\n'.join(doc)
            total += 1
            if '# Examples' not in text and '```' not in text:
                missing.append(f'{path}:{i+1}: {kind} {name}')
        if trait_start.match(line) and in_trait is None:
            in_trait = depth
        depth += line.count('{') - line.count('}')
        if in_trait is not None and depth <= in_trait and '}' in line:
            in_trait = None
print('\n'.join(missing))
print(f'{len(missing)} of {total} public items lack an example', file=sys.stderr)
sys.exit(1 if missing else 0)
