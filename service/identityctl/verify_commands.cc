// verify: asks identityd about a captured signed request, for operators
// debugging a client whose signatures are refused.
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "identity/v1/signature_service.grpc.pb.h"
#include "service/identityctl/command.h"
#include "service/identityctl/output_format.h"

namespace identity::identityctl {
namespace {

// The file holds a SignedHttpRequest in proto JSON ({"method": "PUT",
// "path": "/b/a%20b", "query": "", "headers": [{"name": ..., "value":
// ...}], "payloadSha256": ...}), or a whole VerifySignatureRequest.
absl::Status ReadRequest(const std::string& path,
                         v1::VerifySignatureRequest& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (google::protobuf::util::JsonStringToMessage(text.str(), &out, options)
          .ok() &&
      out.has_request()) {
    return absl::OkStatus();
  }
  out.Clear();
  const auto status = google::protobuf::util::JsonStringToMessage(
      text.str(), out.mutable_request(), options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a SignedHttpRequest in JSON: ",
                     std::string(status.message())));
  }
  return absl::OkStatus();
}

int Verify(CommandContext& context) {
  v1::VerifySignatureRequest request;
  if (absl::Status s = ReadRequest(context.invocation.args()[0], request);
      !s.ok()) {
    return context.Fail(s);
  }
  auto signatures = v1::SignatureService::NewStub(context.channel);
  v1::VerifySignatureResponse verdict;
  const int code =
      context.Invoke(Proof::kSessionOrPassword, [&](grpc::ClientContext& call) {
        return signatures->VerifySignature(&call, request, &verdict);
      });
  if (code != kExitOk) return code;
  if (context.invocation.has("json")) {
    context.out << ToJson(verdict);
  } else if (verdict.valid()) {
    context.out << "valid: signed by " << verdict.user_name() << " with "
                << verdict.access_key_id() << " ("
                << v1::SignatureVersion_Name(verdict.signature_version());
    if (!verdict.region().empty()) {
      context.out << ", " << verdict.region() << "/" << verdict.service();
    }
    context.out << ")\n";
  } else {
    context.out << "refused: " << verdict.error_code() << ": "
                << verdict.error_message() << "\n";
    if (!verdict.string_to_sign().empty()) {
      context.out << "\nstring to sign:\n" << verdict.string_to_sign() << "\n";
    }
    if (!verdict.canonical_request().empty()) {
      context.out << "\ncanonical request:\n"
                  << verdict.canonical_request() << "\n";
    }
  }
  // A refused signature is a refusal a script can tell from success.
  return verdict.valid() ? kExitOk : kExitRejected;
}

}  // namespace

std::vector<Command> VerifyCommands() {
  return {
      {"verify",
       "REQUEST.json",
       "Verify a captured signed request (admins, verifier services)",
       {{"json", false, "print the verdict as JSON"}},
       1,
       1,
       Verify},
  };
}

}  // namespace identity::identityctl
