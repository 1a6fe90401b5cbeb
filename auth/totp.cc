#include "auth/totp.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "auth/crypto.h"

namespace identity::auth::totp {
namespace {

// Percent-encodes everything but RFC 3986's unreserved characters.
std::string UriEscape(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

}  // namespace

int64_t TimeStep(absl::Time time) {
  return absl::ToUnixSeconds(time) / kStepSeconds;
}

std::string Code(absl::string_view secret, int64_t time_step, int digits) {
  std::string counter(8, '\0');
  for (int i = 7; i >= 0; --i) {
    counter[i] = static_cast<char>(time_step & 0xff);
    time_step >>= 8;
  }
  const std::string mac = crypto::HmacSha1(secret, counter);
  // RFC 4226 section 5.3, dynamic truncation.
  const int offset = mac.back() & 0x0f;
  const uint32_t binary =
      (static_cast<uint32_t>(mac[offset] & 0x7f) << 24) |
      (static_cast<uint32_t>(static_cast<uint8_t>(mac[offset + 1])) << 16) |
      (static_cast<uint32_t>(static_cast<uint8_t>(mac[offset + 2])) << 8) |
      static_cast<uint32_t>(static_cast<uint8_t>(mac[offset + 3]));
  uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  std::string code = std::to_string(binary % modulus);
  return std::string(digits - code.size(), '0') + code;
}

std::string Base32(absl::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

std::string ProvisioningUri(absl::string_view issuer, absl::string_view account,
                            absl::string_view secret) {
  return absl::StrCat(
      "otpauth://totp/", UriEscape(issuer), ":", UriEscape(account),
      "?secret=", Base32(secret), "&issuer=", UriEscape(issuer),
      "&algorithm=SHA1&digits=", kDigits, "&period=", kStepSeconds);
}

}  // namespace identity::auth::totp
