#!/usr/bin/env bash
# Installs what is needed, builds identityd and runs it on 127.0.0.1:50051
# with its embedded store under build/dev/. The first start creates a
# development key-encryption key and an admin whose password it prints once.
# Verification codes are "sent" to build/dev/outbox.jsonl.
# Extra arguments are passed to identityd (e.g. --listen=127.0.0.1:6000).
set -euo pipefail
cd "$(dirname "$0")/.."

./deploy/install-deps.sh
source deploy/build-env.sh  # after the install: it looks for ninja
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target identityd identityctl
mkdir -p build/dev
exec build/service/identityd \
  --listen=127.0.0.1:50051 \
  --data_dir=build/dev/data \
  --master_key_file=build/dev/master.key \
  --notify_outbox=build/dev/outbox.jsonl \
  "$@"
