#!/usr/bin/env python3
"""Copies one of etcd's .proto files without its gogoproto and google.api
annotations, which only the Go and HTTP-gateway generators understand.

usage: strip_etcd_proto.py INPUT OUTPUT [--services=NAME,NAME...]

Removed: `import "gogoproto/..."`, `import "google/api/..."`, file options
`option (gogoproto.x) = ...;`, method options `option (google.api.http) = {
... };` (one or more lines), and field options `[(gogoproto.x) = ...]`.
With --services, every `service` block not named is dropped too: stubs for
services we never call (rpc.proto's Watch, Lease, Cluster, Auth) were two
thirds of the generated gRPC code, compiled in each of the three build
trees. Messages are never dropped. Everything else is copied byte for
byte, so the wire format is etcd's own.
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


def drop_services(text, keep):
    """Drops each top-level `service NAME { ... }` whose NAME is not in
    `keep`; fails if a named service is missing."""
    pattern = re.compile(r'^service\s+(\w+)\s*\{', re.M)
    found, pos = set(), 0
    while True:
        match = pattern.search(text, pos)
        if not match:
            break
        found.add(match.group(1))
        depth, i = 1, match.end()
        while depth and i < len(text):
            depth += {'{': 1, '}': -1}.get(text[i], 0)
            i += 1
        if depth:
            raise SystemExit('strip_etcd_proto: unbalanced service block')
        if match.group(1) in keep:
            pos = i
            continue
        end = i + 1 if text[i:i + 1] == '\n' else i
        text = text[:match.start()] + text[end:]
        pos = match.start()
    if keep - found:
        raise SystemExit('strip_etcd_proto: no service %s in the input' %
                         ', '.join(sorted(keep - found)))
    return text


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
    args = [a for a in sys.argv[1:] if not a.startswith('--services=')]
    services = [a.split('=', 1)[1] for a in sys.argv[1:]
                if a.startswith('--services=')]
    if len(args) != 2 or len(services) > 1:
        raise SystemExit(__doc__)
    with open(args[0], encoding='utf-8') as f:
        text = strip(f.read())
    if services:
        text = drop_services(text, set(services[0].split(',')))
    with open(args[1], 'w', encoding='utf-8') as f:
        f.write(text)


if __name__ == '__main__':
    main()
