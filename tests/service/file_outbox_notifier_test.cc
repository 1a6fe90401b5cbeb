// The development outbox holds live verification codes: it is created
// private, and never written through a symlink or into a file others read.
#include "service/file_outbox_notifier.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "testing/files.h"
#include "testing/temp_dir.h"

namespace identity::service {
namespace {

auth::Notification Message() {
  auth::Notification notification;
  notification.channel = "email";
  notification.masked_destination = "a***@example.com";
  notification.user_name = "alice";
  notification.message = "Your code is 123456";
  return notification;
}

mode_t ModeOf(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(lstat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777;
}

TEST(FileOutboxNotifierTest, CreatesThePrivateFileAndAppends) {
  testing::TempDir dir;
  const std::string path = dir.Join("outbox.jsonl");
  FileOutboxNotifier outbox(path);
  ASSERT_TRUE(outbox.Send(Message()).ok());
  ASSERT_TRUE(outbox.Send(Message()).ok());
  EXPECT_EQ(ModeOf(path), 0600);
  const std::string text = testing::ReadFile(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
}

TEST(FileOutboxNotifierTest, RefusesASymlinkAndLeavesItsTargetAlone) {
  testing::TempDir dir;
  const std::string target = dir.Join("shared.log");
  std::ofstream(target) << "someone else's file\n";
  chmod(target.c_str(), 0644);
  const std::string path = dir.Join("outbox.jsonl");
  ASSERT_EQ(symlink(target.c_str(), path.c_str()), 0);
  const absl::Status status = FileOutboxNotifier(path).Send(Message());
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_EQ(testing::ReadFile(target), "someone else's file\n");
  EXPECT_EQ(ModeOf(target), 0644);
}

TEST(FileOutboxNotifierTest, RefusesAFileOthersMayRead) {
  testing::TempDir dir;
  const std::string path = dir.Join("outbox.jsonl");
  std::ofstream(path) << "";
  chmod(path.c_str(), 0644);
  const absl::Status status = FileOutboxNotifier(path).Send(Message());
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_EQ(testing::ReadFile(path), "");
  EXPECT_EQ(ModeOf(path), 0644);
}

}  // namespace
}  // namespace identity::service
