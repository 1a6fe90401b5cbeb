// login, logout, send-code.
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "identity/v1/session_service.grpc.pb.h"
#include "service/identityctl/command.h"
#include "service/identityctl/output_format.h"
#include "service/identityctl/saved_session.h"

namespace identity::identityctl {
namespace {

int Login(CommandContext& context) {
  auto sessions = v1::SessionService::NewStub(context.channel);
  v1::LoginResponse response;
  const int code = context.Invoke(Proof::kPassword, [&](auto& call) {
    return sessions->Login(&call, {}, &response);
  });
  if (code != kExitOk) return code;
  SavedSession session{context.server, context.authorizer.user_name(),
                       response.session_token(),
                       absl::FromUnixSeconds(response.expire_time().seconds())};
  const std::string path = context.authorizer.options().session_file;
  if (absl::Status saved = SaveSession(path, session); !saved.ok()) {
    return context.Fail(saved);
  }
  context.out << "Signed in as " << session.user_name << " until "
              << FormatTime(response.expire_time()) << ". Session saved in "
              << path << " (mode 0600).\n";
  return kExitOk;
}

int Logout(CommandContext& context) {
  const std::string path = context.authorizer.options().session_file;
  absl::StatusOr<SavedSession> saved = LoadSession(path);
  if (absl::IsNotFound(saved.status())) {
    context.out << "Not signed in.\n";
    return kExitOk;
  }
  if (saved.ok() && saved->server == context.server) {
    // Ends it on the server too, so a copy of the file is worthless. A
    // session that already expired is gone there; that is fine.
    auto sessions = v1::SessionService::NewStub(context.channel);
    grpc::ClientContext call;
    call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    call.AddMetadata("authorization", absl::StrCat("Bearer ", saved->token));
    v1::LogoutResponse response;
    grpc::Status ended = sessions->Logout(&call, {}, &response);
    if (!ended.ok() &&
        ended.error_code() != grpc::StatusCode::UNAUTHENTICATED) {
      context.err << "identityctl: could not end the session on the server ("
                  << ended.error_message() << "); removing it here anyway.\n";
    }
  }
  if (absl::Status removed = RemoveSession(path); !removed.ok()) {
    return context.Fail(removed);
  }
  context.out << "Signed out.\n";
  return kExitOk;
}

int SendCode(CommandContext& context) {
  const std::string channel = context.invocation.value_or("channel", "email");
  v1::SendVerificationCodeRequest request;
  if (channel == "email") {
    request.set_channel(v1::SendVerificationCodeRequest::EMAIL);
  } else if (channel == "sms" || channel == "mobile") {
    request.set_channel(v1::SendVerificationCodeRequest::SMS);
  } else {
    return context.Fail(
        absl::InvalidArgumentError("--channel must be email or sms"));
  }
  auto sessions = v1::SessionService::NewStub(context.channel);
  v1::SendVerificationCodeResponse response;
  const int code = context.Invoke(Proof::kSessionOrPassword, [&](auto& call) {
    return sessions->SendVerificationCode(&call, request, &response);
  });
  if (code != kExitOk) return code;
  context.out << "Sent a verification code to " << response.masked_destination()
              << "; it is valid until " << FormatTime(response.expire_time())
              << ". Pass it with --code.\n";
  return kExitOk;
}

}  // namespace

std::vector<Command> SessionCommands() {
  return {
      {"login",
       "",
       "Sign in with your password; later commands use the session",
       {},
       0,
       0,
       Login},
      {"logout", "", "End the saved session", {}, 0, 0, Logout},
      {"send-code",
       "",
       "Send a verification code to your bound email or mobile",
       {{"channel", true, "email (default) or sms"}},
       0,
       0,
       SendCode},
  };
}

}  // namespace identity::identityctl
