#!/usr/bin/env bash
# Prints the ```sh block that follows the line "<!-- NAME -->" in FILE, so
# that a test runs the README's own lines rather than a copy of them.
#
#   tests/e2e/readme_block.sh FILE NAME
set -euo pipefail
block=$(awk -v marker="<!-- $2 -->" '
  $0 == marker { found = 1; next }
  found && /^```sh$/ { inside = 1; next }
  inside && /^```$/ { exit }
  inside { print }' "$1")
[[ -n "$block" ]] || { echo "no \`\`\`sh block after <!-- $2 --> in $1" >&2; exit 1; }
printf '%s\n' "$block"
