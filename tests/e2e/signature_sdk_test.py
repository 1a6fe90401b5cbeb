"""SignatureService end to end: a real identityd, requests signed by real
SDKs nobody here wrote (Debian's botocore; esdk-obs-nodejs from npm), each
recorded by a loopback HTTP server as a gateway receives it and forwarded
to VerifySignature through stubs generated from proto/. Then the refusals.

  signature_sdk_test.py IDENTITYD SOURCE_DIR IDENTITYCTL

Prints the requests it verified (method, path, version), never a secret.
Every wait is bounded; exits non-zero on the first failure."""
import atexit
import base64
import datetime
import hashlib
import http.client
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

IDENTITYD, SRC, IDENTITYCTL = sys.argv[1], sys.argv[2], sys.argv[3]
WORK = tempfile.mkdtemp(prefix="signature-e2e-")
GEN = os.path.join(WORK, "gen")
os.makedirs(GEN)
subprocess.run(
    ["protoc", "-I", os.path.join(SRC, "proto"),
     "-I", "/usr/share/gocode/src/github.com/gogo/googleapis",
     f"--python_out={GEN}", f"--grpc_out={GEN}",
     "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin",
     "identity/v1/access_key_service.proto", "identity/v1/user_service.proto",
     "identity/v1/session_service.proto",
     "identity/v1/signature_service.proto"], check=True)
sys.path.insert(0, GEN)

import boto3  # noqa: E402
import botocore.config  # noqa: E402
import grpc  # noqa: E402
from identity.v1 import (access_key_service_pb2,  # noqa: E402
                         access_key_service_pb2_grpc, session_service_pb2,
                         session_service_pb2_grpc, signature_service_pb2,
                         signature_service_pb2_grpc, user_service_pb2,
                         user_service_pb2_grpc)

FAILURES = []


def check(condition, what):
    if not condition:
        FAILURES.append(what)
        print(f"FAIL: {what}", flush=True)


# --- identityd --------------------------------------------------------------

admin_password = base64.b64encode(os.urandom(18)).decode()
with open(os.path.join(WORK, "admin.password"), "w") as f:
    f.write(admin_password)
log_path = os.path.join(WORK, "identityd.log")
identityd = subprocess.Popen(
    [IDENTITYD, "--listen=127.0.0.1:0", f"--data_dir={WORK}/data",
     f"--master_key_file={WORK}/master.key",
     f"--bootstrap_password_file={WORK}/admin.password"],
    stderr=open(log_path, "w"), stdout=subprocess.DEVNULL)


def stop_identityd():
    if identityd.poll() is None:
        identityd.kill()
        identityd.wait(timeout=30)


# However the test ends, the server it started does not outlive it.
atexit.register(stop_identityd)
port = None
for _ in range(1000):
    with open(log_path) as f:
        for line in f:
            if '"event":"serving"' in line:
                port = json.loads(line)["port"]
    if port:
        break
    time.sleep(0.01)
assert port, "identityd did not start"

channel = grpc.insecure_channel(f"127.0.0.1:{port}")
users = user_service_pb2_grpc.UserServiceStub(channel)
sessions = session_service_pb2_grpc.SessionServiceStub(channel)
keys = access_key_service_pb2_grpc.AccessKeyServiceStub(channel)
signatures = signature_service_pb2_grpc.SignatureServiceStub(channel)


def basic(user, password):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return (("authorization", f"Basic {token}"),)


def bearer(token):
    return (("authorization", f"Bearer {token}"),)


ALICE_PASSWORD = "alice-password-1"
users.CreateUser(user_service_pb2.CreateUserRequest(
    user_name="alice", password=ALICE_PASSWORD),
    metadata=basic("admin", admin_password))
created = keys.CreateAccessKey(
    access_key_service_pb2.CreateAccessKeyRequest(description="sdk"),
    metadata=basic("alice", ALICE_PASSWORD))
AK = created.access_key.access_key_id
SK = created.secret_access_key
admin_session = sessions.Login(session_service_pb2.LoginRequest(),
                               metadata=basic("admin", admin_password))
ADMIN = bearer(admin_session.session_token)
alice_session = sessions.Login(session_service_pb2.LoginRequest(),
                               metadata=basic("alice", ALICE_PASSWORD))

# --- the recording gateway ----------------------------------------------------

RECORDED = []
RECORD_LOCK = threading.Lock()
UPLOAD_XML = (b'<?xml version="1.0" encoding="UTF-8"?>'
              b'<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>'
              b'<UploadId>upload+id 1</UploadId>'
              b'</InitiateMultipartUploadResult>')


class Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def record(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = self.path
        if target.startswith("http://"):
            # Through botocore's proxy setting: the absolute form of the
            # target (RFC 9112 3.2.2), which a gateway reduces to its path.
            target = "/" + target.split("/", 3)[3]
        path, _, query = target.partition("?")
        host = (self.headers.get("Host") or "").split(":")[0]
        bucket = ""
        if host.endswith(".obs.test"):
            bucket = host[: -len(".obs.test")]
        request = signature_service_pb2.SignedHttpRequest(
            method=self.command, path=path, query=query,
            headers=[signature_service_pb2.HttpHeader(name=k, value=v)
                     for k, v in self.headers.raw_items()],
            payload_sha256=hashlib.sha256(body).hexdigest(), bucket=bucket)
        with RECORD_LOCK:
            RECORDED.append((self.client_label(), request))
        reply = UPLOAD_XML if "uploads" in query else b""
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.send_header("ETag", '"etag"')
        self.end_headers()
        self.wfile.write(reply)

    def client_label(self):
        return CURRENT_LABEL[0]

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = record

    def log_message(self, *args):
        pass


CURRENT_LABEL = [""]
gateway = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
threading.Thread(target=gateway.serve_forever, daemon=True).start()
GATEWAY = f"http://127.0.0.1:{gateway.server_address[1]}"


def take_recorded():
    with RECORD_LOCK:
        taken = list(RECORDED)
        RECORDED.clear()
    return taken


def verify(request, metadata=ADMIN):
    return signatures.VerifySignature(
        signature_service_pb2.VerifySignatureRequest(request=request),
        metadata=metadata, timeout=10)


# --- requests signed by botocore ---------------------------------------------

OBJECT_KEYS = ["a b.txt", "plus+sign", "tilde~x", "100%", "dir//double",
               "ünï€ key.txt"]


def s3_client(signature_version, access_key=AK, secret=SK, region="eu-west-1"):
    return boto3.session.Session().client(
        "s3", endpoint_url=GATEWAY, region_name=region,
        aws_access_key_id=access_key, aws_secret_access_key=secret,
        config=botocore.config.Config(
            signature_version=signature_version,
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"}))


def virtual_hosted_s3_client(signature_version):
    """Bucket in the Host (sdk-bucket.obs.test), sent through the recording
    gateway as an HTTP proxy, since the name resolves nowhere."""
    return boto3.session.Session().client(
        "s3", endpoint_url="http://obs.test", region_name="eu-west-1",
        aws_access_key_id=AK, aws_secret_access_key=SK,
        config=botocore.config.Config(
            signature_version=signature_version,
            s3={"addressing_style": "virtual"},
            proxies={"http": GATEWAY},
            retries={"max_attempts": 1, "mode": "standard"}))


def quietly(call, *args, **kwargs):
    """A response the SDK cannot parse still means the request was sent."""
    try:
        call(*args, **kwargs)
    except Exception:  # noqa: BLE001
        pass


def s3_operations(client):
    for key in OBJECT_KEYS:
        quietly(client.put_object, Bucket="sdk-bucket", Key=key,
                Body=f"body of {key}".encode(), ContentType="text/plain",
                Metadata={"owner": "e2e test"})
        quietly(client.get_object, Bucket="sdk-bucket", Key=key)
    quietly(client.list_objects_v2, Bucket="sdk-bucket", Prefix="a b/",
            Delimiter="/")
    quietly(client.list_objects, Bucket="sdk-bucket", Prefix="+~%")
    quietly(client.put_object_acl, Bucket="sdk-bucket", Key=OBJECT_KEYS[1],
            ACL="private")
    quietly(client.get_object_acl, Bucket="sdk-bucket", Key=OBJECT_KEYS[1])
    quietly(client.create_multipart_upload, Bucket="sdk-bucket",
            Key=OBJECT_KEYS[5])
    quietly(client.upload_part, Bucket="sdk-bucket", Key=OBJECT_KEYS[5],
            PartNumber=1, UploadId="upload+id 1", Body=b"part one")
    quietly(client.complete_multipart_upload, Bucket="sdk-bucket",
            Key=OBJECT_KEYS[5], UploadId="upload+id 1",
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"etag"'}]})
    quietly(client.delete_object, Bucket="sdk-bucket", Key=OBJECT_KEYS[0])
    quietly(client.delete_objects, Bucket="sdk-bucket",
            Delete={"Objects": [{"Key": k} for k in OBJECT_KEYS[:3]]})


def fetch(url, method="GET", body=None):
    """Sends a presigned URL as a browser or curl would."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port,
                                            timeout=10)
    target = parts.path + ("?" + parts.query if parts.query else "")
    connection.request(method, target, body=body)
    connection.getresponse().read()
    connection.close()


def presigned(client):
    for key in OBJECT_KEYS:
        fetch(client.generate_presigned_url(
            "get_object", Params={"Bucket": "sdk-bucket", "Key": key},
            ExpiresIn=600))
    fetch(client.generate_presigned_url(
        "put_object", Params={"Bucket": "sdk-bucket", "Key": OBJECT_KEYS[4]},
        ExpiresIn=600), method="PUT", body=b"uploaded")


EXPECTED_VERSION = {}
VERIFIED = []


def run_and_verify(label, version, action, region="", service=""):
    CURRENT_LABEL[0] = label
    action()
    recorded = take_recorded()
    check(len(recorded) > 0, f"{label}: the SDK sent no request")
    for _, request in recorded:
        response = verify(request)
        what = f"{label}: {request.method} {request.path}?{request.query}"
        check(response.valid,
              f"{what}: {response.error_code} {response.error_message}\n"
              f"{response.string_to_sign}\n{response.canonical_request}")
        check(response.access_key_id == AK, f"{what}: access key id")
        check(response.user_name == "alice", f"{what}: user name")
        check(response.signature_version == version, f"{what}: version")
        if region:
            check(response.region == region and response.service == service,
                  f"{what}: scope {response.region}/{response.service}")
        VERIFIED.append((label, request.method, request.path, request.query))
    return recorded


sigv4_header = run_and_verify(
    "botocore S3 SigV4 header", signature_service_pb2.AWS_SIGV4,
    lambda: s3_operations(s3_client("s3v4")), "eu-west-1", "s3")
sigv4_query = run_and_verify(
    "botocore S3 SigV4 presigned", signature_service_pb2.AWS_SIGV4,
    lambda: presigned(s3_client("s3v4")), "eu-west-1", "s3")
v2_header = run_and_verify(
    "botocore S3 SigV2 header (HmacV1)", signature_service_pb2.AWS_V2,
    lambda: s3_operations(s3_client("s3")))
v2_query = run_and_verify(
    "botocore S3 SigV2 query (HmacV1Query)", signature_service_pb2.AWS_V2,
    lambda: presigned(s3_client("s3")))
run_and_verify(
    "botocore S3 SigV2 header, virtual-hosted", signature_service_pb2.AWS_V2,
    lambda: s3_operations(virtual_hosted_s3_client("s3")))
run_and_verify(
    "botocore S3 SigV4 header, virtual-hosted",
    signature_service_pb2.AWS_SIGV4,
    lambda: s3_operations(virtual_hosted_s3_client("s3v4")), "eu-west-1",
    "s3")


def sts_call():
    sts = boto3.session.Session().client(
        "sts", endpoint_url=GATEWAY, region_name="us-east-1",
        aws_access_key_id=AK, aws_secret_access_key=SK,
        config=botocore.config.Config(retries={"max_attempts": 1}))
    quietly(sts.get_caller_identity)


def lambda_call():
    # A non-S3 service with a path: encoded twice in the canonical request.
    client = boto3.session.Session().client(
        "lambda", endpoint_url=GATEWAY, region_name="ap-southeast-1",
        aws_access_key_id=AK, aws_secret_access_key=SK,
        config=botocore.config.Config(retries={"max_attempts": 1}))
    quietly(client.invoke,
            FunctionName="arn:aws:lambda:ap-southeast-1:123456789012:"
                         "function:my-fn", Payload=b'{"a": "b c"}')


run_and_verify("botocore STS SigV4 (non-S3)", signature_service_pb2.AWS_SIGV4,
               sts_call, "us-east-1", "sts")
run_and_verify("botocore Lambda SigV4 (non-S3)",
               signature_service_pb2.AWS_SIGV4, lambda_call,
               "ap-southeast-1", "lambda")

# --- requests signed by esdk-obs-nodejs --------------------------------------

NODE_MODULES = os.path.join(SRC, "tests/e2e/obs_sdk/node_modules")


def obs_sdk(mode):
    subprocess.run(
        ["node", os.path.join(SRC, "tests/e2e/obs_sdk_requests.js"),
         json.dumps({"port": gateway.server_address[1], "ak": AK, "sk": SK,
                     "mode": mode})],
        env=dict(os.environ, NODE_PATH=NODE_MODULES), check=True, timeout=60,
        stderr=subprocess.DEVNULL)


if os.path.isdir(NODE_MODULES):
    run_and_verify("esdk-obs-nodejs OBS mode (virtual-hosted)",
                   signature_service_pb2.OBS_V2, lambda: obs_sdk("obs"))
    run_and_verify("esdk-obs-nodejs V2 path-style",
                   signature_service_pb2.AWS_V2, lambda: obs_sdk("v2"))
else:
    check(False, f"{NODE_MODULES} is missing: run deploy/install-deps.sh")

def _tampered(request):
    copy = signature_service_pb2.SignedHttpRequest()
    copy.CopyFrom(request)
    copy.method = "POST"
    return copy


# --- the documentation's example ----------------------------------------------

with open(os.path.join(SRC, "proto/signatures.md")) as f:
    doc = f.read()
example = doc.split("```python\n", 1)[1].split("```", 1)[0]
namespace = {}
exec(compile(example, "proto/signatures.md", "exec"), namespace)  # noqa: S102
CURRENT_LABEL[0] = "doc example"
quietly(s3_client("s3v4").put_object, Bucket="sdk-bucket", Key="doc key",
        Body=b"doc body")
(_, doc_request), = take_recorded()
target = doc_request.path + ("?" + doc_request.query
                             if doc_request.query else "")
ok, who = namespace["verify_forwarded"](
    signatures, ADMIN, doc_request.method, target,
    [(h.name, h.value) for h in doc_request.headers], b"doc body")
check(ok and who == "alice", f"documentation example: {ok} {who}")
ok, who = namespace["verify_forwarded"](
    signatures, ADMIN, doc_request.method, target,
    [(h.name, h.value) for h in doc_request.headers], b"another body")
check(not ok and who == "XAmzContentSHA256Mismatch",
      f"documentation example, other body: {who}")

# --- identityctl verify: a captured request as JSON ---------------------------

from google.protobuf import json_format  # noqa: E402


def identityctl_verify(request):
    path = os.path.join(WORK, "captured.json")
    with open(path, "w") as f:
        f.write(json_format.MessageToJson(request))
    return subprocess.run(
        [IDENTITYCTL, f"--server=127.0.0.1:{port}", "--user=admin",
         f"--password-file={WORK}/admin.password", "verify", path],
        capture_output=True, text=True, timeout=30,
        env=dict(os.environ, HOME=WORK))


result = identityctl_verify(doc_request)
check(result.returncode == 0 and "valid: signed by alice" in result.stdout,
      f"identityctl verify: {result.returncode} {result.stdout}{result.stderr}")
result = identityctl_verify(_tampered(doc_request))
check(result.returncode == 11 and "SignatureDoesNotMatch" in result.stdout
      and "canonical request:" in result.stdout and SK not in result.stdout,
      f"identityctl verify, tampered: {result.returncode} {result.stdout}")

# --- refusals ------------------------------------------------------------------


def code_of(request, metadata=ADMIN):
    return verify(request, metadata).error_code


def modified(request, **changes):
    copy = signature_service_pb2.SignedHttpRequest()
    copy.CopyFrom(request)
    for name, value in changes.items():
        setattr(copy, name, value)
    return copy


def with_header(request, name, value):
    copy = modified(request)
    for header in copy.headers:
        if header.name.lower() == name.lower():
            header.value = value
            return copy
    copy.headers.add(name=name, value=value)
    return copy


put = next(r for _, r in sigv4_header if r.method == "PUT")
get_query = next(r for _, r in sigv4_query if r.method == "GET")
v2_put = next(r for _, r in v2_header if r.method == "PUT")

check(code_of(modified(put, path=put.path + "x")) == "SignatureDoesNotMatch",
      "tampered path")
check(code_of(modified(put, method="POST")) == "SignatureDoesNotMatch",
      "tampered method")
check(code_of(with_header(put, "Content-Type", "text/html"))
      == "SignatureDoesNotMatch", "tampered signed header")
check(code_of(modified(get_query, query=get_query.query + "&x-id=GetObject"))
      == "SignatureDoesNotMatch", "tampered query")
check(code_of(modified(v2_put, path=v2_put.path + "x"))
      == "SignatureDoesNotMatch", "tampered V2 path")
response = verify(modified(put, method="POST"))
check(response.canonical_request.startswith("POST\n/sdk-bucket/")
      and response.string_to_sign.startswith("AWS4-HMAC-SHA256\n")
      and SK not in response.canonical_request + response.string_to_sign,
      "SignatureDoesNotMatch reports the canonical request, not the secret")
check(code_of(modified(put, payload_sha256=hashlib.sha256(b"other")
                       .hexdigest())) == "XAmzContentSHA256Mismatch",
      "body hash mismatch")
check(code_of(with_header(put, "Authorization", "AWS4-HMAC-SHA256 garbage"))
      == "AuthorizationHeaderMalformed", "malformed authorization")
check(code_of(with_header(put, "X-Amz-Security-Token", "token"))
      == "InvalidToken", "security token")
check(code_of(with_header(put, "X-Amz-Content-SHA256",
                          "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"))
      == "NotImplemented", "signed-chunk streaming")
# Skew: the request claims to be an hour old (its scope date kept).
stale = datetime.datetime.utcnow() - datetime.timedelta(hours=1)
auth = next(h.value for h in put.headers if h.name.lower() == "authorization")
stale_request = with_header(put, "X-Amz-Date", stale.strftime("%Y%m%dT%H%M%SZ"))
stale_request = with_header(stale_request, "Authorization", auth.replace(
    auth.split("/")[1], stale.strftime("%Y%m%d")))
check(code_of(stale_request) == "RequestTimeTooSkewed", "skew")

# Wrong secret, unknown key: botocore signs with them.
CURRENT_LABEL[0] = "refusals"
quietly(s3_client("s3v4", secret=SK[:-1] + ("a" if SK[-1] != "a" else "b"))
        .get_object, Bucket="sdk-bucket", Key="k")
quietly(s3_client("s3v4", access_key="AKIAUNKNOWN000000000").get_object,
        Bucket="sdk-bucket", Key="k")
wrong_secret, unknown_key = [r for _, r in take_recorded()]
check(code_of(wrong_secret) == "SignatureDoesNotMatch", "wrong secret")
check(code_of(unknown_key) == "InvalidAccessKeyId", "unknown key")
# An expired presigned URL (botocore, one second).
fetch(s3_client("s3v4").generate_presigned_url(
    "get_object", Params={"Bucket": "sdk-bucket", "Key": "k"}, ExpiresIn=1))
fetch(s3_client("s3").generate_presigned_url(
    "get_object", Params={"Bucket": "sdk-bucket", "Key": "k"}, ExpiresIn=1))
time.sleep(2.1)
for _, expired in take_recorded():
    response = verify(expired)
    check(response.error_code == "AccessDenied"
          and response.HasField("expire_time"), "expired URL")


def within_one_second(expected_code, request, what):
    """The verdict changes within 1 s of the change committing."""
    start = time.monotonic()
    while time.monotonic() - start < 1.0:
        if code_of(request) == expected_code:
            return
        time.sleep(0.02)
    check(False, f"{what}: still {code_of(request)!r} after 1 s")


# Inactive, reactivated, disabled owner, deleted.
keys.UpdateAccessKey(access_key_service_pb2.UpdateAccessKeyRequest(
    access_key_id=AK, status=access_key_service_pb2.AccessKey.INACTIVE),
    metadata=ADMIN)
within_one_second("InvalidAccessKeyId", put, "inactive key")
keys.UpdateAccessKey(access_key_service_pb2.UpdateAccessKeyRequest(
    access_key_id=AK, status=access_key_service_pb2.AccessKey.ACTIVE),
    metadata=ADMIN)
within_one_second("", put, "reactivated key")
# Enabling a user takes the admin's password on the call, not a session.
users.UpdateUser(user_service_pb2.UpdateUserRequest(
    user_name="alice", enabled=False),
    metadata=basic("admin", admin_password))
within_one_second("InvalidAccessKeyId", put, "disabled owner")
users.UpdateUser(user_service_pb2.UpdateUserRequest(
    user_name="alice", enabled=True),
    metadata=basic("admin", admin_password))
within_one_second("", put, "re-enabled owner")

# Callers: a user's session, a user's password, no credentials. (Disabling
# alice ended her sessions: a new one.)
alice_session = sessions.Login(session_service_pb2.LoginRequest(),
                               metadata=basic("alice", ALICE_PASSWORD))
for metadata, what in ((bearer(alice_session.session_token), "user session"),
                       (basic("alice", ALICE_PASSWORD), "user password"),
                       ((), "no credentials")):
    try:
        verify(put, metadata)
        check(False, f"{what}: accepted")
    except grpc.RpcError as error:
        expected = (grpc.StatusCode.UNAUTHENTICATED if not metadata
                    else grpc.StatusCode.PERMISSION_DENIED)
        check(error.code() == expected, f"{what}: {error.code()}")

# Last use: recorded off the path (first use within 5 s), with the SigV4
# scope of the last verified request.
listed = None
deadline = time.monotonic() + 5
while time.monotonic() < deadline:
    listed = keys.ListAccessKeys(access_key_service_pb2.ListAccessKeysRequest(
        user_name="alice"), metadata=ADMIN).access_keys[0]
    if listed.HasField("last_used_time"):
        break
    time.sleep(0.1)
check(listed is not None and listed.HasField("last_used_time"),
      "last_used_time recorded")

keys.DeleteAccessKey(access_key_service_pb2.DeleteAccessKeyRequest(
    access_key_id=AK), metadata=ADMIN)
within_one_second("InvalidAccessKeyId", put, "deleted key")

# --- the log: one line per call with the key id, never the secret ------------

identityd.terminate()
identityd.wait(timeout=30)
with open(log_path) as f:
    log = f.read()
check(SK not in log, "the secret is not in the log")
signature = auth.rsplit("Signature=", 1)[1]
check(signature not in log, "no signature in the log")
check(f'"access_key_id":"{AK}","result":"valid"' in log,
      "access-log line with key id and result")

print(f"verified {len(VERIFIED)} SDK requests:")
for label, method, path, query in VERIFIED:
    print(f"  {label}: {method} {path}{'?' + query if query else ''}")
if FAILURES:
    print(f"{len(FAILURES)} failures")
    sys.exit(1)
print("all refusals as expected")
