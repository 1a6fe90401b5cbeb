#include "auth/key_encryption_key.h"

#include <sys/stat.h>

#include <fstream>

#include "gtest/gtest.h"
#include "testing/temp_dir.h"

namespace identity::auth {
namespace {

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
}

TEST(KeyEncryptionKeyFile, CreatesOwnerOnlyFileThatReadsBack) {
  testing::TempDir dir;
  const std::string path = dir.Join("master.key");
  ASSERT_TRUE(CreateKeyEncryptionKeyFile(path).ok());
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::vector<KeyEncryptionKey> keys = ReadKeyEncryptionKeyFile(path).value();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].key.size(), 32u);
  EXPECT_EQ(keys[0].id, KeyEncryptionKeyId(keys[0].key));
  EXPECT_EQ(keys[0].id.size(), 16u);
}

TEST(KeyEncryptionKeyFile, NeverOverwritesAnExistingKey) {
  testing::TempDir dir;
  const std::string path = dir.Join("master.key");
  ASSERT_TRUE(CreateKeyEncryptionKeyFile(path).ok());
  const std::string before = ReadKeyEncryptionKeyFile(path).value()[0].key;
  EXPECT_TRUE(absl::IsAlreadyExists(CreateKeyEncryptionKeyFile(path)));
  EXPECT_EQ(ReadKeyEncryptionKeyFile(path).value()[0].key, before);
}

TEST(KeyEncryptionKeyFile, RefusesAFileOthersCanRead) {
  testing::TempDir dir;
  const std::string path = dir.Join("master.key");
  WriteFile(path, std::string(64, 'a') + "\n", 0644);
  absl::Status status = ReadKeyEncryptionKeyFile(path).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_NE(status.message().find("chmod 600"), std::string::npos);
}

TEST(KeyEncryptionKeyFile, ReadsSeveralKeysFirstOneFirst) {
  testing::TempDir dir;
  const std::string path = dir.Join("master.key");
  WriteFile(path,
            "# rotated 2026-11\n" + std::string(64, 'b') + "\n\n" +
                std::string(64, 'a') + "\n",
            0600);
  std::vector<KeyEncryptionKey> keys = ReadKeyEncryptionKeyFile(path).value();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].key, std::string(32, '\xbb'));
  EXPECT_EQ(keys[1].key, std::string(32, '\xaa'));
  EXPECT_NE(keys[0].id, keys[1].id);
}

TEST(KeyEncryptionKeyFile, MalformedLineIsNamedButNotQuoted) {
  testing::TempDir dir;
  const std::string path = dir.Join("master.key");
  const std::string almost_key = std::string(62, 'c');
  WriteFile(path, almost_key + "\n", 0600);
  absl::Status status = ReadKeyEncryptionKeyFile(path).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_NE(status.message().find("line 1"), std::string::npos);
  EXPECT_EQ(status.message().find(almost_key), std::string::npos);
}

TEST(KeyEncryptionKeyFile, MissingAndEmptyFiles) {
  testing::TempDir dir;
  EXPECT_TRUE(
      absl::IsNotFound(ReadKeyEncryptionKeyFile(dir.Join("none")).status()));
  WriteFile(dir.Join("empty"), "# nothing\n", 0600);
  EXPECT_TRUE(absl::IsInvalidArgument(
      ReadKeyEncryptionKeyFile(dir.Join("empty")).status()));
}

}  // namespace
}  // namespace identity::auth
