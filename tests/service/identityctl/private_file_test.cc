#include "service/identityctl/private_file.h"

#include <sys/stat.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "testing/files.h"
#include "testing/temp_dir.h"

namespace identity::identityctl {
namespace {

using testing::ReadFile;
using testing::TempDir;

mode_t Mode(const std::string& path) {
  struct stat info {};
  stat(path.c_str(), &info);
  return info.st_mode & 0777;
}

int Entries(const std::string& directory) {
  int count = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(directory)) {
    ++count;
  }
  return count;
}

TEST(PrivateFile, WritesMode0600AndCreatesItsDirectory0700) {
  TempDir dir;
  const std::string path = dir.Join("config/identityctl/session");
  ASSERT_TRUE(WritePrivateFile(path, "token=abc\n", false).ok());
  EXPECT_EQ(ReadFile(path), "token=abc\n");
  EXPECT_EQ(Mode(path), 0600u);
  EXPECT_EQ(Mode(dir.Join("config/identityctl")), 0700u);
}

TEST(PrivateFile, NeverReplacesAFileUnlessAskedTo) {
  TempDir dir;
  const std::string path = dir.Join("credentials.csv");
  ASSERT_TRUE(WritePrivateFile(path, "first", false).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(CheckWritable(path, false)));
  EXPECT_TRUE(CheckWritable(path, true).ok());
  // Even past the check (the file appeared after it), nothing is replaced;
  // what could not be placed is kept beside it, 0600, and named, since it
  // may be a secret the server will not show again.
  absl::Status refused = WritePrivateFile(path, "second", false);
  EXPECT_TRUE(absl::IsAlreadyExists(refused));
  EXPECT_EQ(ReadFile(path), "first");
  const size_t at = refused.message().find("written to ");
  ASSERT_NE(at, absl::string_view::npos) << refused;
  const std::string kept(refused.message().substr(at + 11, path.size() + 8));
  EXPECT_EQ(kept.rfind(dir.Join(".credentials.csv."), 0), 0u) << kept;
  EXPECT_EQ(ReadFile(kept), "second");
  EXPECT_EQ(Mode(kept), 0600u);
  std::filesystem::remove(kept);

  ASSERT_TRUE(WritePrivateFile(path, "third", true).ok());
  EXPECT_EQ(ReadFile(path), "third");
  EXPECT_EQ(Mode(path), 0600u);
  EXPECT_EQ(Entries(dir.path()), 1) << "no temporary file left behind";
}

TEST(PrivateFile, AMissingFileIsWritable) {
  TempDir dir;
  EXPECT_TRUE(CheckWritable(dir.Join("new.csv"), false).ok());
}

}  // namespace
}  // namespace identity::identityctl
