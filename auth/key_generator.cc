#include "auth/key_generator.h"

#include <array>
#include <cstdint>

#include "auth/crypto.h"

namespace identity::auth {

absl::StatusOr<std::string> RandomString(RandomSource& random,
                                         absl::string_view alphabet,
                                         size_t length) {
  if (alphabet.size() < 2 || alphabet.size() > 256) {
    return absl::InvalidArgumentError("alphabet must hold 2 to 256 characters");
  }
  // Bytes below `limit` map evenly onto the alphabet.
  const unsigned limit = 256 - 256 % alphabet.size();
  std::string out;
  out.reserve(length);
  std::array<uint8_t, 64> buffer;
  while (out.size() < length) {
    if (absl::Status s = random.Fill(absl::MakeSpan(buffer)); !s.ok()) {
      return s;
    }
    for (uint8_t byte : buffer) {
      if (byte >= limit) continue;
      out.push_back(alphabet[byte % alphabet.size()]);
      if (out.size() == length) break;
    }
  }
  crypto::Cleanse(absl::MakeSpan(buffer));
  return out;
}

absl::StatusOr<std::string> GenerateAccessKeyId(RandomSource& random) {
  return RandomString(random, kUpperAlphanumeric, kAccessKeyIdLength);
}

absl::StatusOr<std::string> GenerateSecretAccessKey(RandomSource& random) {
  return RandomString(random, kAlphanumeric, kSecretAccessKeyLength);
}

absl::StatusOr<std::string> GenerateUserId(RandomSource& random) {
  return RandomString(random, kUpperAlphanumeric, kUserIdLength);
}

}  // namespace identity::auth
