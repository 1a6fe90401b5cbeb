#include "auth/validation.h"

#include <cstdint>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace identity::auth {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", rule));
}

// Code points in `s` if it is well-formed UTF-8 (no overlong forms, no
// surrogates, nothing past U+10FFFF), and without control characters when
// `reject_controls`; nullopt otherwise.
std::optional<size_t> CountCodePoints(absl::string_view s,
                                      bool reject_controls) {
  size_t count = 0;
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t lead = static_cast<uint8_t>(s[i]);
    uint32_t cp;
    size_t len;
    if (lead < 0x80) {
      cp = lead;
      len = 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      cp = lead & 0x1F;
      len = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      cp = lead & 0x0F;
      len = 3;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      cp = lead & 0x07;
      len = 4;
    } else {
      return std::nullopt;
    }
    if (i + len > s.size()) return std::nullopt;
    for (size_t k = 1; k < len; ++k) {
      const uint8_t next = static_cast<uint8_t>(s[i + k]);
      if ((next & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (next & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return std::nullopt;
    }
    if (reject_controls && (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))) {
      return std::nullopt;
    }
    i += len;
    ++count;
  }
  return count;
}

std::optional<size_t> CountPrintableCodePoints(absl::string_view s) {
  return CountCodePoints(s, /*reject_controls=*/true);
}

}  // namespace

bool IsValidUtf8(absl::string_view value) {
  return CountCodePoints(value, /*reject_controls=*/false).has_value();
}

absl::Status ValidateUserName(absl::string_view field,
                              absl::string_view value) {
  constexpr absl::string_view kRule =
      "must be 1 to 64 characters of A-Z a-z 0-9 . _ @ -";
  if (value.empty() || value.size() > kMaxUserNameLength) {
    return Invalid(field, kRule);
  }
  for (char c : value) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != '@' && c != '-') {
      return Invalid(field, kRule);
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateText(absl::string_view field, absl::string_view value,
                          size_t max_chars) {
  std::optional<size_t> chars = CountPrintableCodePoints(value);
  if (!chars.has_value()) {
    return Invalid(field, "must be valid UTF-8 without control characters");
  }
  if (*chars > max_chars) {
    return Invalid(field,
                   absl::StrCat("must be at most ", max_chars, " characters"));
  }
  return absl::OkStatus();
}

absl::Status ValidatePassword(absl::string_view field,
                              absl::string_view password,
                              absl::string_view user_name,
                              const PasswordPolicy& policy) {
  std::optional<size_t> chars = CountPrintableCodePoints(password);
  if (!chars.has_value()) {
    return Invalid(field, "must be valid UTF-8 without control characters");
  }
  if (*chars < policy.min_length || *chars > policy.max_length) {
    return Invalid(field, absl::StrCat("must be ", policy.min_length, " to ",
                                       policy.max_length, " characters"));
  }
  if (absl::EqualsIgnoreCase(password, user_name)) {
    return Invalid(field, "must not be the user name");
  }
  return absl::OkStatus();
}

absl::Status ValidateEmail(absl::string_view field, absl::string_view value) {
  if (value.empty()) return absl::OkStatus();
  constexpr absl::string_view kRule =
      "must be an address like name@example.com";
  if (value.size() > 254) return Invalid(field, kRule);
  const size_t at = value.find('@');
  if (at == 0 || at == absl::string_view::npos ||
      value.find('@', at + 1) != absl::string_view::npos) {
    return Invalid(field, kRule);
  }
  const absl::string_view local = value.substr(0, at);
  const absl::string_view domain = value.substr(at + 1);
  if (local.size() > 64) return Invalid(field, kRule);
  for (char c : local) {
    if (!absl::ascii_isgraph(static_cast<unsigned char>(c)) || c == '"' ||
        c == '(' || c == ')' || c == ',' || c == ':' || c == ';' || c == '<' ||
        c == '>' || c == '[' || c == '\\' || c == ']') {
      return Invalid(field, kRule);
    }
  }
  // Domain: dot-separated labels of letters, digits and inner hyphens, the
  // last one alphabetic.
  if (domain.empty() || domain.front() == '.' || domain.back() == '.' ||
      absl::StrContains(domain, "..") || !absl::StrContains(domain, '.')) {
    return Invalid(field, kRule);
  }
  size_t label_start = 0;
  for (size_t i = 0; i <= domain.size(); ++i) {
    if (i < domain.size() && domain[i] != '.') {
      const char c = domain[i];
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') {
        return Invalid(field, kRule);
      }
      continue;
    }
    const absl::string_view label = domain.substr(label_start, i - label_start);
    if (label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return Invalid(field, kRule);
    }
    label_start = i + 1;
  }
  const absl::string_view tld = domain.substr(domain.rfind('.') + 1);
  for (char c : tld) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) {
      return Invalid(field, kRule);
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateMobile(absl::string_view field, absl::string_view value) {
  if (value.empty()) return absl::OkStatus();
  constexpr absl::string_view kRule =
      "must be E.164, like +8613800000000 ('+' then 8 to 15 digits)";
  if (value.size() < 9 || value.size() > 16 || value[0] != '+' ||
      value[1] == '0') {
    return Invalid(field, kRule);
  }
  for (char c : value.substr(1)) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return Invalid(field, kRule);
    }
  }
  return absl::OkStatus();
}

}  // namespace identity::auth
