#!/usr/bin/env bash
# Installs the Debian 12 packages identity builds, runs and tests with.
# Safe to run again: does nothing when everything is already installed.
set -euo pipefail

packages=(
  cmake g++ make pkg-config clang-format
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev librocksdb-dev libargon2-dev libssl-dev
  libgtest-dev libgmock-dev
  # Metrics: prometheus-cpp's registry and its HTTP exposer (civetweb).
  prometheus-cpp-dev
  # BoringSSL, for the second build of the crypto wrapper's known-answer tests.
  android-libboringssl-dev
  # libFuzzer and the sanitizers, for deploy/fuzz.sh.
  clang-14 libclang-rt-14-dev
  # .proto files Debian ships without C++: health/reflection, google.rpc.
  grpc-proto golang-github-gogo-googleapis-dev
  # h2load: a load generator we did not write, the benchmark's cross-check.
  nghttp2-client
  # The Python client of generated stubs, and the deploy-file checks.
  python3-grpcio python3-protobuf python3-yaml
  # openssl, for deploy/dev-certs.sh (TLS tests).
  openssl
  # Real SDKs signing requests for the SignatureService end-to-end test:
  # botocore (Python), and Node.js for esdk-obs-nodejs (npm, below).
  python3-boto3 python3-botocore nodejs
)
# Debian's npm, unless the Node.js installed brings its own.
command -v npm > /dev/null || packages+=(npm)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
    grep -q "install ok installed" || missing+=("$package")
done
src="$(cd "$(dirname "$0")/.." && pwd)"
# esdk-obs-nodejs, pinned by tests/e2e/obs_sdk/package-lock.json.
install_npm_packages() {
  if [[ ! -d "$src/tests/e2e/obs_sdk/node_modules/esdk-obs-nodejs" ]]; then
    npm ci --prefix "$src/tests/e2e/obs_sdk" --no-audit --no-fund
  fi
}
if ((${#missing[@]} == 0)); then
  install_npm_packages
  exit 0
fi

sudo=()
if [[ $(id -u) != 0 ]]; then
  sudo=(sudo)
fi
echo "installing: ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
  --no-install-recommends "${missing[@]}"
install_npm_packages
