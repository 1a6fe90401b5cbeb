#include "auth/key_encryption_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "auth/crypto.h"

namespace identity::auth {
namespace {

constexpr absl::string_view kIdDomain = "identity key-encryption key id v1";

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  const int err = errno;
  std::string message = absl::StrCat(what, " ", path, ": ", strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EEXIST) return absl::AlreadyExistsError(message);
  return absl::FailedPreconditionError(message);
}

}  // namespace

std::string KeyEncryptionKeyId(absl::string_view key) {
  return absl::BytesToHexString(
      crypto::Sha256(absl::StrCat(kIdDomain, key)).substr(0, 8));
}

absl::StatusOr<std::vector<KeyEncryptionKey>> ReadKeyEncryptionKeyFile(
    const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    return ErrnoError("cannot stat key-encryption key file", path);
  }
  if (!S_ISREG(info.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("key-encryption key file ", path, " is not a file"));
  }
  if ((info.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("key-encryption key file ", path,
                     " is accessible to group or others: chmod 600 it"));
  }
  std::ifstream in(path);
  if (!in) return ErrnoError("cannot read key-encryption key file", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();

  std::vector<KeyEncryptionKey> keys;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    if (line.size() != 2 * crypto::kAes256KeySize ||
        line.find_first_not_of("0123456789abcdefABCDEF") !=
            absl::string_view::npos) {
      crypto::Cleanse(text);
      // The line itself is key material: name only its number.
      return absl::InvalidArgumentError(
          absl::StrCat("key-encryption key file ", path, " line ", line_number,
                       ": expected 64 hex characters"));
    }
    KeyEncryptionKey kek;
    kek.key = absl::HexStringToBytes(line);
    kek.id = KeyEncryptionKeyId(kek.key);
    keys.push_back(std::move(kek));
  }
  crypto::Cleanse(text);
  if (keys.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key-encryption key file ", path, " holds no key"));
  }
  return keys;
}

absl::Status CreateKeyEncryptionKeyFile(const std::string& path,
                                        RandomSource& random) {
  std::string key(crypto::kAes256KeySize, '\0');
  if (absl::Status s = random.Fill(
          absl::MakeSpan(reinterpret_cast<uint8_t*>(key.data()), key.size()));
      !s.ok()) {
    return s;
  }
  std::string contents = absl::StrCat(
      "# identity key-encryption key. Losing it makes every stored secret\n"
      "# access key unreadable; anyone holding it and the data directory can\n"
      "# read them. Rotate by adding a new first line and keeping old ones.\n",
      absl::BytesToHexString(key), "\n");
  crypto::Cleanse(key);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                      S_IRUSR | S_IWUSR);
  if (fd < 0) {
    crypto::Cleanse(contents);
    return ErrnoError("cannot create key-encryption key file", path);
  }
  const bool ok = write(fd, contents.data(), contents.size()) ==
                      static_cast<ssize_t>(contents.size()) &&
                  fsync(fd) == 0;
  close(fd);
  crypto::Cleanse(contents);
  if (!ok) {
    unlink(path.c_str());
    return ErrnoError("cannot write key-encryption key file", path);
  }
  return absl::OkStatus();
}

}  // namespace identity::auth
