#!/usr/bin/env bash
# The crash-restart harness in its long mode: identityd is SIGKILLed at
# random moments under concurrent create/delete load and restarted, 200
# times (or $1 times), checking after each restart that every acknowledged
# key survived and no user is over the limit. Needs a build (deploy/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
IDENTITY_CRASH_CYCLES="${1:-200}" exec build/tests/e2e/identity_crash_restart_test
