#include "service/identityctl/output_format.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_replace.h"
#include "absl/time/time.h"

namespace identity::identityctl {

std::string FormatTime(const google::protobuf::Timestamp& time,
                       const std::string& unset) {
  if (time.seconds() == 0 && time.nanos() == 0) return unset;
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                          absl::FromUnixSeconds(time.seconds()),
                          absl::UTCTimeZone());
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options)
           .ok()) {
    return "{}\n";
  }
  return json;
}

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  return "\"" + absl::StrReplaceAll(value, {{"\"", "\"\""}}) + "\"";
}

}  // namespace identity::identityctl
