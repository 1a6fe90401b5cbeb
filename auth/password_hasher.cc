#include "auth/password_hasher.h"

#include <argon2.h>

#include "absl/strings/str_cat.h"
#include "auth/crypto.h"

namespace identity::auth {
namespace {

uint8_t* Writable(absl::string_view s) {
  // libargon2 takes non-const pointers but never writes through them unless
  // the ARGON2_FLAG_CLEAR_* flags are set, which we do not set.
  return const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(s.data()));
}

}  // namespace

absl::StatusOr<std::string> Argon2idRaw(const Argon2Params& params,
                                        absl::string_view password,
                                        absl::string_view salt,
                                        absl::string_view secret,
                                        absl::string_view associated_data,
                                        size_t hash_bytes) {
  std::string out(hash_bytes, '\0');
  argon2_context context{};
  context.out = reinterpret_cast<uint8_t*>(out.data());
  context.outlen = static_cast<uint32_t>(out.size());
  context.pwd = Writable(password);
  context.pwdlen = static_cast<uint32_t>(password.size());
  context.salt = Writable(salt);
  context.saltlen = static_cast<uint32_t>(salt.size());
  context.secret = secret.empty() ? nullptr : Writable(secret);
  context.secretlen = static_cast<uint32_t>(secret.size());
  context.ad = associated_data.empty() ? nullptr : Writable(associated_data);
  context.adlen = static_cast<uint32_t>(associated_data.size());
  context.t_cost = params.iterations;
  context.m_cost = params.memory_kib;
  context.lanes = params.parallelism;
  context.threads = params.parallelism;
  context.version = ARGON2_VERSION_13;
  context.flags = ARGON2_DEFAULT_FLAGS;
  const int rc = argon2_ctx(&context, Argon2_id);
  if (rc != ARGON2_OK) {
    return absl::InternalError(
        absl::StrCat("argon2id failed: ", argon2_error_message(rc)));
  }
  return out;
}

PasswordHasher::PasswordHasher(Argon2Params params, RandomSource& random)
    : params_(params), random_(random) {}

absl::StatusOr<std::string> PasswordHasher::Hash(
    absl::string_view password) const {
  Argon2idPhc phc{params_, std::string(kArgon2SaltBytes, '\0'), ""};
  if (absl::Status s = random_.Fill(absl::MakeSpan(
          reinterpret_cast<uint8_t*>(phc.salt.data()), phc.salt.size()));
      !s.ok()) {
    return s;
  }
  ++computations_;
  absl::StatusOr<std::string> hash =
      Argon2idRaw(params_, password, phc.salt, "", "", kArgon2HashBytes);
  if (!hash.ok()) return hash.status();
  phc.hash = *std::move(hash);
  return FormatArgon2idPhc(phc);
}

absl::StatusOr<bool> PasswordHasher::Verify(absl::string_view password,
                                            absl::string_view phc) const {
  absl::StatusOr<Argon2idPhc> parsed = ParseArgon2idPhc(phc);
  if (!parsed.ok()) return parsed.status();
  ++computations_;
  ++verifications_;
  absl::StatusOr<std::string> hash = Argon2idRaw(
      parsed->params, password, parsed->salt, "", "", parsed->hash.size());
  if (!hash.ok()) return hash.status();
  return crypto::ConstantTimeEquals(*hash, parsed->hash);
}

bool PasswordHasher::NeedsRehash(absl::string_view phc) const {
  absl::StatusOr<Argon2idPhc> parsed = ParseArgon2idPhc(phc);
  return !parsed.ok() || !(parsed->params == params_) ||
         parsed->hash.size() != kArgon2HashBytes;
}

}  // namespace identity::auth
