#ifndef IDENTITY_AUTH_URI_ENCODING_H_
#define IDENTITY_AUTH_URI_ENCODING_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

// The percent-encoding rules that request signatures are computed over.
// Pure functions of bytes; any input is accepted.
namespace identity::auth {

// AWS's UriEncode: every byte but A-Za-z0-9 and -_.~ (and '/' when
// `keep_slash`) becomes %XX with uppercase hex. '%' itself is encoded, so
// an already encoded path is encoded a second time.
std::string UriEncode(absl::string_view data, bool keep_slash);

// Reverses %XX (either case). A '%' not followed by two hex digits stays as
// it is; '+' stays '+' (RFC 3986, not form encoding).
std::string PercentDecode(absl::string_view data);

// RFC 3986 section 5.2.4 plus what AWS services other than S3 expect: "."
// and ".." segments resolved and empty segments dropped; a leading and a
// trailing '/' kept. "" becomes "/".
std::string RemoveDotSegments(absl::string_view path);

// A path as sent, with only the bytes that cannot appear on a request line
// (controls, space, non-ASCII and a few delimiters) percent-encoded: what
// S3 signs, where the path is not normalized and encoded once.
std::string EncodeUnsafePathBytes(absl::string_view path);

// One name=value pair of a raw query string, split but not decoded.
struct RawQueryParam {
  absl::string_view name;
  absl::string_view value;
  // False for "name" without '=' (as opposed to "name=").
  bool has_equals = false;
};
// The '&'-separated pairs of `query` in order; empty segments are skipped.
std::vector<RawQueryParam> SplitQuery(absl::string_view query);

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_URI_ENCODING_H_
