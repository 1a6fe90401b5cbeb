#!/usr/bin/env bash
# Makes a development CA and certificates for TLS and mTLS with openssl:
#   deploy/dev-certs.sh DIR [CLIENT_NAME]
# DIR/ca.pem, ca.key             the CA
# DIR/server.pem, server.key     for identityd: localhost, 127.0.0.1 and
#                                identity (the Kubernetes Service's name)
# DIR/client.pem, client.key     a client (CN and DNS SAN = CLIENT_NAME,
#                                default "ci-service") for mTLS
# For development and tests only: production certificates come from your
# PKI. Keys are written mode 0600. ECDSA P-256 keys: an RSA-2048 key took
# openssl 0.1-0.2 s of CPU to make, and the tests make a CA and certificates
# per test case (a tenth of a test run's CPU went to openssl).
# identityd takes RSA and ECDSA certificates alike.
set -euo pipefail
dir="$1"
client="${2:-ci-service}"
mkdir -p "$dir"
cd "$dir"
umask 077
days=30

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days "$days" \
  -subj "/CN=identity dev CA" -keyout ca.key -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2> /dev/null

issue() {  # name subject extensions
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -subj "$2" \
    -keyout "$1.key" -out "$1.csr" 2> /dev/null
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
    -days "$days" -sha256 -extfile "$1.ext" -out "$1.pem" 2> /dev/null
  rm -f "$1.csr" "$1.ext"
}
issue server "/CN=localhost" \
  "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:identity
extendedKeyUsage=serverAuth"
issue client "/CN=$client" \
  "subjectAltName=DNS:$client
extendedKeyUsage=clientAuth"
chmod 0644 ca.pem server.pem client.pem
echo "dev certificates in $dir (CA, server for localhost/127.0.0.1/identity," \
  "client $client)"
