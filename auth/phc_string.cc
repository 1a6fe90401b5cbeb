#include "auth/phc_string.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace identity::auth {
namespace {

constexpr uint32_t kMaxMemoryKib = 1u << 20;  // 1 GiB
constexpr uint32_t kMaxIterations = 64;
constexpr uint32_t kMaxParallelism = 16;
constexpr size_t kMinSaltBytes = 8, kMaxSaltBytes = 64;
constexpr size_t kMinHashBytes = 16, kMaxHashBytes = 64;

std::string UnpaddedBase64(absl::string_view bytes) {
  std::string out = absl::Base64Escape(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

absl::Status Malformed(absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed password hash: ", why));
}

// Decodes unpadded base64, accepting only the canonical encoding.
bool DecodeCanonical(absl::string_view text, std::string& out) {
  if (text.find('=') != absl::string_view::npos) return false;
  return absl::Base64Unescape(text, &out) && UnpaddedBase64(out) == text;
}

bool ParseParam(absl::string_view field, absl::string_view name, uint32_t min,
                uint32_t max, uint32_t& out) {
  if (!absl::ConsumePrefix(&field, name) || !absl::ConsumePrefix(&field, "=")) {
    return false;
  }
  // Digits only: SimpleAtoi would also take a sign or spaces.
  if (field.empty() || field.size() > 10 ||
      field.find_first_not_of("0123456789") != absl::string_view::npos ||
      (field.size() > 1 && field[0] == '0')) {
    return false;
  }
  return absl::SimpleAtoi(field, &out) && out >= min && out <= max;
}

}  // namespace

absl::StatusOr<Argon2idPhc> ParseArgon2idPhc(absl::string_view phc) {
  // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
  std::vector<absl::string_view> parts = absl::StrSplit(phc, '$');
  if (parts.size() != 6 || !parts[0].empty()) return Malformed("layout");
  if (parts[1] != "argon2id") return Malformed("not argon2id");
  if (parts[2] != "v=19") return Malformed("unsupported version");
  std::vector<absl::string_view> params = absl::StrSplit(parts[3], ',');
  Argon2idPhc out;
  if (params.size() != 3 ||
      !ParseParam(params[0], "m", 8, kMaxMemoryKib, out.params.memory_kib) ||
      !ParseParam(params[1], "t", 1, kMaxIterations, out.params.iterations) ||
      !ParseParam(params[2], "p", 1, kMaxParallelism, out.params.parallelism) ||
      out.params.memory_kib < 8 * out.params.parallelism) {
    return Malformed("parameters");
  }
  if (!DecodeCanonical(parts[4], out.salt) || out.salt.size() < kMinSaltBytes ||
      out.salt.size() > kMaxSaltBytes) {
    return Malformed("salt");
  }
  if (!DecodeCanonical(parts[5], out.hash) || out.hash.size() < kMinHashBytes ||
      out.hash.size() > kMaxHashBytes) {
    return Malformed("hash");
  }
  return out;
}

std::string FormatArgon2idPhc(const Argon2idPhc& phc) {
  return absl::StrCat("$argon2id$v=19$m=", phc.params.memory_kib,
                      ",t=", phc.params.iterations,
                      ",p=", phc.params.parallelism, "$",
                      UnpaddedBase64(phc.salt), "$", UnpaddedBase64(phc.hash));
}

}  // namespace identity::auth
