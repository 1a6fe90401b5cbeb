#include "service/process_memory.h"

#include <sched.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace identity::service {
namespace {

// Resident anonymous memory of this process, in KiB.
long AnonymousKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stol(line.substr(8));
  }
  return -1;
}

// Waits (bounded) until `done` holds.
template <typename Done>
bool WaitFor(Done done, absl::Duration limit = absl::Seconds(5)) {
  const absl::Time deadline = absl::Now() + limit;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

TEST(AvailableCpus, AtMostTheAffinityMask) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  const int cpus = AvailableCpus();
  EXPECT_GE(cpus, 1);
  EXPECT_LE(cpus, CPU_COUNT(&set));
}

TEST(MemoryReturner, TrimsOnlyAfterChurnAndOnceWhenItStops) {
  std::atomic<uint64_t> churn{0};
  MemoryReturner returner([&] { return churn.load(); }, /*threshold=*/10,
                          absl::Milliseconds(10));
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(returner.trims(), 0u) << "no churn, no trim";

  churn += 9;
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(returner.trims(), 0u) << "below the threshold";

  churn += 1;
  ASSERT_TRUE(WaitFor([&] { return returner.trims() >= 1; }));
  // The trailing trim of the first quiet interval, then nothing more.
  ASSERT_TRUE(WaitFor([&] { return returner.trims() >= 2; }));
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(returner.trims(), 2u);
}

// What a flood leaves behind: a thread's arena full of freed blocks pinned
// by a few live ones, so free() alone cannot shrink it. The trim gives the
// freed pages back.
TEST(MemoryReturner, GivesFreedArenaPagesBack) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "glibc's arenas are not in use: the sanitizer's own "
                  "allocator (and its quarantine of freed blocks) is";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
  GTEST_SKIP() << "glibc's arenas are not in use: the sanitizer's own "
                  "allocator (and its quarantine of freed blocks) is";
#endif
#endif
  constexpr int kBlocks = 200000;  // 256 B each: ~50 MiB
  std::vector<std::unique_ptr<char[]>> kept;
  std::thread([&] {
    std::vector<std::unique_ptr<char[]>> blocks;
    blocks.reserve(kBlocks);
    for (int i = 0; i < kBlocks; ++i) {
      blocks.emplace_back(new char[256]);
      blocks.back()[0] = static_cast<char>(i);  // touched: resident
    }
    for (int i = 0; i < kBlocks; i += 512) kept.push_back(std::move(blocks[i]));
  }).join();
  const long before = AnonymousKib();
  ASSERT_GT(before, 0);

  std::atomic<uint64_t> churn{0};
  MemoryReturner returner([&] { return churn.load(); }, /*threshold=*/1,
                          absl::Milliseconds(10));
  churn = 1;
  ASSERT_TRUE(WaitFor([&] { return returner.trims() >= 1; }));
  const long after = AnonymousKib();
  std::printf("anonymous RSS: %ld KiB before the trim, %ld after\n", before,
              after);
  EXPECT_LT(after, before - 20 * 1024) << "at least 20 MiB of ~50 returned";
}

}  // namespace
}  // namespace identity::service
