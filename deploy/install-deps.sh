#!/usr/bin/env bash
# Installs the Debian 12 packages identity builds, runs and tests with.
# Safe to run again: does nothing when everything is already installed.
set -euo pipefail

packages=(
  cmake g++ make pkg-config clang-format
  # Faster builds: the Ninja generator (deploy/build-env.sh) and the lld linker.
  ninja-build lld
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
  # The Go client of generated stubs, built offline in GOPATH mode over
  # Debian's Go sources (protoc-gen-go is built from golang-google-protobuf-dev).
  golang-go golang-google-grpc-dev golang-google-protobuf-dev
  golang-google-genproto-dev protoc-gen-go-grpc
  # etcd: the replicated store engine. The server and etcdctl for the tests'
  # 3-member clusters; the .proto files of its gRPC API (stripped of their
  # Go annotations at build time, storage/etcd/strip_etcd_proto.py).
  etcd-server etcd-client golang-etcd-server-dev python3
  # Real SDKs signing requests for the SignatureService end-to-end test:
  # botocore (Python); esdk-obs-nodejs comes from npm (below).
  python3-boto3 python3-botocore
)
# The Node.js client: Debian's nodejs and npm, unless a Node.js with its own
# npm is installed already (NodeSource's nodejs provides npm and conflicts
# with Debian's npm package).
if ! command -v npm > /dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
    grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  sudo=()
  if [[ $(id -u) != 0 ]]; then
    sudo=(sudo)
  fi
  echo "installing: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}"
fi

# npm packages, exactly as each lock file pins them, and only when the lock
# file changed: the Node.js client test (@grpc/grpc-js, @grpc/proto-loader)
# and esdk-obs-nodejs for the SignatureService end-to-end test.
root="$(cd "$(dirname "$0")/.." && pwd)"
for dir in "$root/tests/e2e/node_client" "$root/tests/e2e/obs_sdk"; do
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.installed-lock.json"; then
    npm ci --prefix "$dir" --ignore-scripts --no-audit --no-fund
    cp "$dir/package-lock.json" "$dir/node_modules/.installed-lock.json"
  fi
done
