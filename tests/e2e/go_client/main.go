// A client written the way a Go developer would write one: stubs generated
// from proto/ with protoc-gen-go and protoc-gen-go-grpc (see
// go_client_test.sh), run against a real identityd. Logs in, creates two
// keys, lists them, and checks the error reason of a third create. Prints
// nothing secret; exits non-zero on failure.
package main

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io/ioutil"
	"os"
	"sort"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	identityv1 "identity/gen/go/identity/v1"
)

// protoCodec marshals with google.golang.org/protobuf, the runtime the
// stubs of today's protoc-gen-go are made for. Debian 12's gRPC-Go 1.33
// marshals with github.com/golang/protobuf 1.3, which predates those stubs
// (it panics: "protobuf tag not enough fields"); registering this codec
// under gRPC's codec name "proto" replaces that one.
type protoCodec struct{}

func (protoCodec) Marshal(v interface{}) ([]byte, error) {
	return proto.Marshal(v.(proto.Message))
}

func (protoCodec) Unmarshal(data []byte, v interface{}) error {
	return proto.Unmarshal(data, v.(proto.Message))
}

func (protoCodec) Name() string { return "proto" }

func init() { encoding.RegisterCodec(protoCodec{}) }

func basic(ctx context.Context, user, password string) context.Context {
	pair := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Basic "+pair)
}

// reasonOf is the google.rpc.ErrorInfo reason in a failed call's details.
func reasonOf(err error) string {
	for _, detail := range status.Convert(err).Details() {
		if info, ok := detail.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

func run(target, adminPasswordFile string) error {
	raw, err := ioutil.ReadFile(adminPasswordFile)
	if err != nil {
		return err
	}
	adminPassword := strings.TrimSpace(string(raw))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// gRPC-Go 1.33 (Debian 12) has no credentials/insecure package yet.
	conn, err := grpc.DialContext(ctx, target, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		return fmt.Errorf("dial %s: %w", target, err)
	}
	defer conn.Close()
	users := identityv1.NewUserServiceClient(conn)
	sessions := identityv1.NewSessionServiceClient(conn)
	keys := identityv1.NewAccessKeyServiceClient(conn)

	const user, password = "go-alice", "go-client-password-1"
	if _, err := users.CreateUser(basic(ctx, "admin", adminPassword),
		&identityv1.CreateUserRequest{UserName: user, Password: password}); err != nil {
		return fmt.Errorf("CreateUser: %w", err)
	}
	session, err := sessions.Login(basic(ctx, user, password), &identityv1.LoginRequest{})
	if err != nil {
		return fmt.Errorf("Login: %w", err)
	}
	if !strings.HasPrefix(session.GetSessionToken(), "idt_") {
		return fmt.Errorf("Login returned no session token")
	}
	bearer := metadata.AppendToOutgoingContext(ctx, "authorization",
		"Bearer "+session.GetSessionToken())

	var created []string
	for _, description := range []string{"ci", "laptop"} {
		response, err := keys.CreateAccessKey(basic(ctx, user, password),
			&identityv1.CreateAccessKeyRequest{Description: description})
		if err != nil {
			return fmt.Errorf("CreateAccessKey: %w", err)
		}
		if len(response.GetAccessKey().GetAccessKeyId()) != 20 ||
			len(response.GetSecretAccessKey()) != 40 {
			return fmt.Errorf("CreateAccessKey: malformed key or secret")
		}
		created = append(created, response.GetAccessKey().GetAccessKeyId())
	}

	listed, err := keys.ListAccessKeys(bearer, &identityv1.ListAccessKeysRequest{})
	if err != nil {
		return fmt.Errorf("ListAccessKeys: %w", err)
	}
	var ids []string
	for _, key := range listed.GetAccessKeys() {
		ids = append(ids, key.GetAccessKeyId())
	}
	sort.Strings(ids)
	sort.Strings(created)
	if strings.Join(ids, ",") != strings.Join(created, ",") {
		return fmt.Errorf("listed keys %v differ from created %v", ids, created)
	}

	_, err = keys.CreateAccessKey(basic(ctx, user, password),
		&identityv1.CreateAccessKeyRequest{})
	if err == nil {
		return fmt.Errorf("a third key was created")
	}
	if code := status.Code(err); code != codes.FailedPrecondition {
		return fmt.Errorf("third CreateAccessKey: %v, want FailedPrecondition", code)
	}
	if reason := reasonOf(err); reason != "ACCESS_KEY_LIMIT_EXCEEDED" {
		return fmt.Errorf("third CreateAccessKey: reason %q", reason)
	}
	fmt.Println("go client: login, 2 keys created and listed, third refused " +
		"with ACCESS_KEY_LIMIT_EXCEEDED")
	return nil
}

func main() {
	target := flag.String("target", "", "identityd's host:port")
	adminPasswordFile := flag.String("admin_password_file", "", "")
	flag.Parse()
	if err := run(*target, *adminPasswordFile); err != nil {
		fmt.Fprintln(os.Stderr, "go client:", err)
		os.Exit(1)
	}
}
