#!/usr/bin/env python3
"""Copies one of etcd's .proto files without its gogoproto and google.api
annotations, which only the Go and HTTP-gateway generators understand.

usage: strip_etcd_proto.py INPUT OUTPUT

Removed: `import "gogoproto/..."`, `import "google/api/..."`, file options
`option (gogoproto.x) = ...;`, method options `option (google.api.http) = {
... };` (one or more lines), and field options `[(gogoproto.x) = ...]`.
Everything else is copied byte for byte, so the wire format is etcd's own.
"""
import re
import sys


def strip_option_blocks(text):
    """Drops each `option (google.api.http) = { ... };`, nested braces and
    all (additional_bindings nest)."""
    pattern = re.compile(r'\s*option\s+\(google\.api\.[a-z_]+\)\s*=\s*\{')
    while True:
        match = pattern.search(text)
        if not match:
            return text
        depth, i = 1, match.end()
        while depth and i < len(text):
            depth += {'{': 1, '}': -1}.get(text[i], 0)
            i += 1
        end = re.compile(r'\s*;').match(text, i)
        if depth or not end:
            raise SystemExit('strip_etcd_proto: unbalanced option block')
        text = text[:match.start()] + text[end.end():]


def strip(text):
    text = re.sub(r'^\s*import\s+"(gogoproto|google/api)/[^"]*";\s*\n', '',
                  text, flags=re.M)
    text = re.sub(r'^\s*option\s+\(gogoproto\.[^)]*\)\s*=\s*[^;]*;\s*\n', '',
                  text, flags=re.M)
    text = strip_option_blocks(text)
    # Field options: drop gogoproto entries; drop the brackets if emptied.
    def field_options(match):
        kept = [o for o in match.group(1).split(',')
                if 'gogoproto.' not in o]
        return ' [' + ','.join(kept).strip() + ']' if kept else ''
    text = re.sub(r'\s*\[([^\]]*gogoproto\.[^\]]*)\]', field_options, text)
    if 'gogoproto' in text or 'google.api' in text:
        raise SystemExit('strip_etcd_proto: annotations left in the output')
    return text


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    with open(sys.argv[1], encoding='utf-8') as f:
        text = f.read()
    with open(sys.argv[2], 'w', encoding='utf-8') as f:
        f.write(strip(text))


if __name__ == '__main__':
    main()
