"""A client written the way an application developer would write one: stubs
generated from proto/ (see python_client_test.sh), run against a real
identityd. Logs in, creates keys, lists them, and checks the error reason of
a create over the limit. Prints nothing secret; exits non-zero on failure."""
import argparse
import base64
import sys

import grpc
from google.rpc import error_details_pb2, status_pb2
from identity.v1 import (access_key_service_pb2, access_key_service_pb2_grpc,
                         session_service_pb2, session_service_pb2_grpc,
                         user_service_pb2, user_service_pb2_grpc)


def basic(user, password):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return (("authorization", f"Basic {token}"),)


def reason_of(error):
    """The google.rpc.ErrorInfo reason in a failed call's details."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return info.reason
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--admin_password_file", required=True)
    args = parser.parse_args()
    with open(args.admin_password_file) as f:
        admin_password = f.read().strip()

    channel = grpc.insecure_channel(args.target)
    users = user_service_pb2_grpc.UserServiceStub(channel)
    sessions = session_service_pb2_grpc.SessionServiceStub(channel)
    keys = access_key_service_pb2_grpc.AccessKeyServiceStub(channel)

    password = "python-client-password-1"
    users.CreateUser(
        user_service_pb2.CreateUserRequest(user_name="py-alice",
                                           password=password),
        metadata=basic("admin", admin_password))
    session = sessions.Login(session_service_pb2.LoginRequest(),
                             metadata=basic("py-alice", password))
    assert session.session_token.startswith("idt_"), "no session token"
    bearer = (("authorization", f"Bearer {session.session_token}"),)

    created = []
    for description in ("ci", "laptop"):
        response = keys.CreateAccessKey(
            access_key_service_pb2.CreateAccessKeyRequest(
                description=description),
            metadata=basic("py-alice", password))
        assert len(response.access_key.access_key_id) == 20
        assert len(response.secret_access_key) == 40
        created.append(response.access_key.access_key_id)

    listed = keys.ListAccessKeys(
        access_key_service_pb2.ListAccessKeysRequest(), metadata=bearer)
    assert sorted(k.access_key_id for k in listed.access_keys) == sorted(
        created), "listed keys differ from created ones"
    assert all(k.usable for k in listed.access_keys)

    try:
        keys.CreateAccessKey(access_key_service_pb2.CreateAccessKeyRequest(),
                             metadata=basic("py-alice", password))
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error.code()
        reason = reason_of(error)
        assert reason == "ACCESS_KEY_LIMIT_EXCEEDED", reason
    else:
        raise AssertionError("a third key was created")
    print("python client: login, 2 keys created and listed, third refused "
          "with ACCESS_KEY_LIMIT_EXCEEDED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
