#include "auth/uri_encoding.h"

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace identity::auth {
namespace {

constexpr char kUpperHex[] = "0123456789ABCDEF";

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendEscaped(unsigned char c, std::string& out) {
  out.push_back('%');
  out.push_back(kUpperHex[c >> 4]);
  out.push_back(kUpperHex[c & 0xF]);
}

}  // namespace

std::string UriEncode(absl::string_view data, bool keep_slash) {
  std::string out;
  out.reserve(data.size() + data.size() / 2);
  for (char ch : data) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      AppendEscaped(c, out);
    }
  }
  return out;
}

std::string PercentDecode(absl::string_view data) {
  std::string out;
  out.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '%' && i + 2 < data.size()) {
      const int high = HexValue(data[i + 1]);
      const int low = HexValue(data[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(data[i]);
  }
  return out;
}

std::string RemoveDotSegments(absl::string_view path) {
  if (path.empty()) return "/";
  std::vector<absl::string_view> kept;
  for (absl::string_view segment : absl::StrSplit(path, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
      continue;
    }
    kept.push_back(segment);
  }
  std::string out = path.front() == '/' ? "/" : "";
  out += absl::StrJoin(kept, "/");
  if (path.back() == '/' && !kept.empty()) out.push_back('/');
  return out;
}

std::string EncodeUnsafePathBytes(absl::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (char ch : path) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const bool unsafe = c <= 0x20 || c >= 0x7F || c == '"' || c == '<' ||
                        c == '>' || c == '\\' || c == '^' || c == '`' ||
                        c == '{' || c == '|' || c == '}' || c == '#' ||
                        c == '?';
    if (unsafe) {
      AppendEscaped(c, out);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::vector<RawQueryParam> SplitQuery(absl::string_view query) {
  std::vector<RawQueryParam> params;
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    if (pair.empty()) continue;
    RawQueryParam param;
    const size_t equals = pair.find('=');
    if (equals == absl::string_view::npos) {
      param.name = pair;
    } else {
      param.name = pair.substr(0, equals);
      param.value = pair.substr(equals + 1);
      param.has_equals = true;
    }
    params.push_back(param);
  }
  return params;
}

}  // namespace identity::auth
