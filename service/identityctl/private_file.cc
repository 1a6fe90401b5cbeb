#include "service/identityctl/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"

namespace identity::identityctl {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  const int error = errno;
  const std::string message =
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(error));
  if (error == EEXIST) return absl::AlreadyExistsError(message);
  if (error == EACCES || error == EPERM || error == EROFS) {
    return absl::PermissionDeniedError(message);
  }
  if (error == ENOENT) return absl::NotFoundError(message);
  return absl::InternalError(message);
}

}  // namespace

absl::Status CheckWritable(const std::string& path, bool overwrite) {
  std::error_code error;
  if (!overwrite && std::filesystem::exists(path, error)) {
    return absl::AlreadyExistsError(absl::StrCat(
        path, " already exists; choose another --output or add --force"));
  }
  return absl::OkStatus();
}

absl::Status WritePrivateFile(const std::string& path,
                              absl::string_view contents, bool overwrite) {
  const std::filesystem::path target(path);
  const std::filesystem::path directory =
      target.has_parent_path() ? target.parent_path() : ".";
  std::error_code error;
  if (!std::filesystem::exists(directory, error)) {
    std::filesystem::create_directories(directory, error);
    if (error) {
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot create ", directory.string(), ": ", error.message()));
    }
    std::filesystem::permissions(directory, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, error);
  }
  std::string temp =
      (directory / ("." + target.filename().string() + ".XXXXXX")).string();
  std::vector<char> name(temp.begin(), temp.end());
  name.push_back('\0');
  const int fd = mkstemp(name.data());  // mode 0600
  if (fd < 0) return Errno("create a file beside", path);
  temp = name.data();
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n =
        write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status status = Errno("write", temp);
      close(fd);
      unlink(temp.c_str());
      return status;
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    absl::Status status = Errno("sync", temp);
    unlink(temp.c_str());
    return status;
  }
  // link() refuses an existing name: nothing is replaced by accident, even
  // if the file appeared since CheckWritable.
  const int moved = overwrite ? rename(temp.c_str(), path.c_str())
                              : link(temp.c_str(), path.c_str());
  if (moved != 0) {
    // Kept, not removed: it may hold a secret that exists nowhere else.
    absl::Status status = Errno("write", path);
    return absl::Status(status.code(),
                        absl::StrCat(status.message(), "; it was written to ",
                                     temp, " instead"));
  }
  if (!overwrite) unlink(temp.c_str());
  return absl::OkStatus();
}

}  // namespace identity::identityctl
