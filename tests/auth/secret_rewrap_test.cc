// Re-sealing stored secrets under the newest KEK, on every store engine:
// every old secret ends under the newest KEK and opens with it alone; a
// rerun is a no-op; tampered and unknown-KEK secrets are never rewritten
// and are reported; concurrent updates and a concurrent run are kept.
#include "auth/secret_rewrap.h"

#include <atomic>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "auth/error_reason.h"
#include "auth/mfa_devices.h"
#include "auth/secret_rewrap_job.h"
#include "gtest/gtest.h"
#include "storage/caching_store.h"
#include "testing/fakes.h"
#include "testing/faulty_store.h"
#include "testing/store_engines.h"
#include "testing/store_records.h"

namespace identity::auth {
namespace {

using storage::AccessKeyRecord;
using storage::AuditEventRecord;
using testing::Key;
using testing::User;

KeyEncryptionKey Kek(char fill) {
  KeyEncryptionKey kek;
  kek.key = std::string(32, fill);
  kek.id = KeyEncryptionKeyId(kek.key);
  return kek;
}

std::unique_ptr<SecretSealer> Sealer(std::vector<KeyEncryptionKey> keys) {
  return SecretSealer::New(std::move(keys)).value();
}

std::string KeyId(int i) { return absl::StrFormat("AKREWRAP%012d", i); }
// Stands in for a secret access key; tests only compare it.
std::string SecretOf(int i) { return absl::StrFormat("secret-of-key-%d", i); }

Principal Operator() {
  Principal actor;
  actor.user_name = "host:identityd-rewrap";
  return actor;
}

class SecretRewrapTest : public testing::StoreEngineTest {
 protected:
  void SetUp() override {
    store_ = OpenStore(false);
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->CreateUser(User("U1", "alice"), {}).ok());
    ASSERT_TRUE(store_->CreateUser(User("U2", "bob"), {}).ok());
  }

  // `count` keys of alice sealed by `sealer` (its first KEK).
  void AddKeys(int count, const SecretSealer& sealer, int first = 0) {
    for (int i = first; i < first + count; ++i) {
      AccessKeyRecord key = Key(KeyId(i), "U1");
      *key.mutable_sealed_secret() =
          sealer.Seal(key.access_key_id(), SecretOf(i)).value();
      ASSERT_TRUE(store_->CreateAccessKey(key, 1 << 20, std::nullopt, {}).ok());
    }
  }

  void EnrollMfa(const std::string& user_id, const SecretSealer& sealer) {
    storage::SealedSecret sealed =
        sealer.Seal(MfaSecretAssociatedData(user_id), "totp-seed-" + user_id)
            .value();
    ASSERT_TRUE(store_
                    ->UpdateUser(user_id,
                                 [&](storage::UserRecord& user) {
                                   *user.mutable_mfa_secret() = sealed;
                                   user.set_mfa_confirmed(true);
                                   return absl::OkStatus();
                                 },
                                 false, {})
                    .ok());
  }

  SecretRewrapResult Run(const SecretSealer& sealer,
                         SecretRewrapOptions options = {}) {
    SecretRewrap rewrap(*store_, sealer, clock_);
    absl::StatusOr<SecretRewrapResult> result = rewrap.Run(Operator(), options);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(SecretRewrapResult{});
  }

  // Every key 0..count-1 opens under `sealer` to its own secret.
  void ExpectKeysOpen(int count, const SecretSealer& sealer) {
    for (int i = 0; i < count; ++i) {
      AccessKeyRecord key = store_->GetAccessKey(KeyId(i)).value();
      EXPECT_EQ(key.sealed_secret().kek_id(), sealer.sealing_key_id());
      absl::StatusOr<std::string> secret =
          sealer.Open(key.access_key_id(), key.sealed_secret());
      ASSERT_TRUE(secret.ok()) << secret.status();
      EXPECT_TRUE(*secret == SecretOf(i)) << "key " << i;
    }
  }

  std::vector<AuditEventRecord> RewrapEvents() {
    storage::AuditQuery query;
    query.limit = 1000;
    std::vector<AuditEventRecord> matching;
    std::vector<AuditEventRecord> events =
        store_->ListAuditEvents(query).value();
    for (AuditEventRecord& event : events) {
      if (event.type() == AuditEventRecord::SECRETS_REWRAPPED) {
        matching.push_back(std::move(event));
      }
    }
    return matching;
  }

  std::unique_ptr<storage::Store> store_;
  testing::FakeClock clock_;
  const KeyEncryptionKey old_ = Kek('o');
  const KeyEncryptionKey new_ = Kek('n');
};
IDENTITY_INSTANTIATE_FOR_EVERY_STORE_ENGINE(SecretRewrapTest);

TEST_P(SecretRewrapTest, EverySecretOpensWithOnlyTheNewestKekAfterRewrap) {
  auto old_only = Sealer({old_});
  AddKeys(30, *old_only);
  EnrollMfa("U2", *old_only);
  auto rotated = Sealer({new_, old_});
  AddKeys(5, *rotated, /*first=*/30);  // sealed since the new line came

  SecretRewrapOptions options;
  options.batch_size = 7;  // several pages, a short last one
  SecretRewrapResult result = Run(*rotated, options);
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(result.sealing_kek_id, new_.id);
  EXPECT_EQ(result.access_keys_seen, 35);
  EXPECT_EQ(result.mfa_secrets_seen, 1);
  EXPECT_EQ(result.resealed, 31);
  EXPECT_EQ(result.already_current, 5);
  EXPECT_EQ(result.failed(), 0);
  EXPECT_TRUE(result.old_keks_in_use().empty());
  EXPECT_EQ(result.secrets_by_kek,
            (std::map<std::string, int64_t>{{new_.id, 36}}));

  // The old line is gone from the file: everything still opens.
  auto new_only = Sealer({new_});
  ExpectKeysOpen(35, *new_only);
  storage::UserRecord bob = store_->GetUserById("U2").value();
  EXPECT_EQ(
      new_only->Open(MfaSecretAssociatedData("U2"), bob.mfa_secret()).value(),
      "totp-seed-U2");
  EXPECT_TRUE(bob.mfa_confirmed());

  std::vector<AuditEventRecord> events = RewrapEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].actor_user_name(), "host:identityd-rewrap");
  EXPECT_NE(events[0].detail().find("resealed=31"), std::string::npos)
      << events[0].detail();
}

TEST_P(SecretRewrapTest, RerunChangesNothing) {
  AddKeys(12, *Sealer({old_}));
  auto rotated = Sealer({new_, old_});
  ASSERT_EQ(Run(*rotated).resealed, 12);
  const std::string before =
      store_->GetAccessKey(KeyId(3)).value().SerializeAsString();
  SecretRewrapResult again = Run(*rotated);
  EXPECT_EQ(again.resealed, 0);
  EXPECT_EQ(again.already_current, 12);
  EXPECT_EQ(store_->GetAccessKey(KeyId(3)).value().SerializeAsString(), before);
}

TEST_P(SecretRewrapTest, TamperedAndUnknownKekSecretsFailClosedAndAreReported) {
  auto old_only = Sealer({old_});
  AddKeys(4, *old_only);
  // Key 1: a flipped ciphertext bit. Key 2: sealed under a KEK the server
  // was never given. Key 3: a sealed secret moved from key 0.
  storage::SealedSecret moved =
      store_->GetAccessKey(KeyId(0)).value().sealed_secret();
  auto stranger = Sealer({Kek('x')});
  auto edit = [&](int i, std::function<void(storage::SealedSecret&)> change) {
    ASSERT_TRUE(store_
                    ->UpdateAccessKey(KeyId(i),
                                      [&](AccessKeyRecord& key) {
                                        change(*key.mutable_sealed_secret());
                                        return absl::OkStatus();
                                      },
                                      {})
                    .ok());
  };
  edit(1, [](storage::SealedSecret& s) { s.mutable_ciphertext()->at(0) ^= 1; });
  edit(2, [&](storage::SealedSecret& s) {
    s = stranger->Seal(KeyId(2), SecretOf(2)).value();
  });
  edit(3, [&](storage::SealedSecret& s) { s = moved; });
  std::map<int, std::string> stored;
  for (int i : {1, 2, 3}) {
    stored[i] = store_->GetAccessKey(KeyId(i)).value().SerializeAsString();
  }

  auto rotated = Sealer({new_, old_});
  SecretRewrapResult result = Run(*rotated);
  EXPECT_TRUE(result.complete);  // the pass went on past the failures
  EXPECT_EQ(result.resealed, 1);
  EXPECT_EQ(result.failed_unknown_kek, 1);
  EXPECT_EQ(result.failed_does_not_open, 2);
  for (int i : {1, 2, 3}) {
    EXPECT_EQ(store_->GetAccessKey(KeyId(i)).value().SerializeAsString(),
              stored[i])
        << "key " << i << " was rewritten";
  }
  EXPECT_EQ(result.secrets_by_kek,
            (std::map<std::string, int64_t>{
                {new_.id, 1}, {old_.id, 2}, {Kek('x').id, 1}}));
  EXPECT_EQ(result.old_keks_in_use().size(), 2u);
  ASSERT_EQ(result.failures.size(), 3u);
  std::string all;
  for (const std::string& failure : result.failures) all += failure + "\n";
  EXPECT_NE(all.find(KeyId(2) + ": sealed under unknown key-encryption key " +
                     Kek('x').id),
            std::string::npos)
      << all;
  EXPECT_NE(all.find(KeyId(1) + ": does not authenticate"), std::string::npos)
      << all;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(all.find(SecretOf(i)), std::string::npos);
  }
  // An unknown KEK still fails closed for the verifier too.
  EXPECT_TRUE(absl::IsFailedPrecondition(
      rotated->Open(KeyId(2), store_->GetAccessKey(KeyId(2))->sealed_secret())
          .status()));
}

TEST_P(SecretRewrapTest, VerifyOpensTheSecretsAlreadyCurrentToo) {
  auto current = Sealer({new_});
  AddKeys(3, *current);
  ASSERT_TRUE(store_
                  ->UpdateAccessKey(
                      KeyId(1),
                      [](AccessKeyRecord& key) {
                        key.mutable_sealed_secret()->mutable_ciphertext()->at(
                            0) ^= 1;
                        return absl::OkStatus();
                      },
                      {})
                  .ok());
  // Without verify the id alone says "current".
  EXPECT_EQ(Run(*current).failed(), 0);
  SecretRewrapOptions options;
  options.dry_run = true;
  options.verify_current = true;
  SecretRewrapResult verified = Run(*current, options);
  EXPECT_EQ(verified.already_current, 2);
  EXPECT_EQ(verified.failed_does_not_open, 1);
  ASSERT_EQ(verified.failures.size(), 1u);
  EXPECT_NE(verified.failures[0].find(KeyId(1)), std::string::npos);
}

TEST_P(SecretRewrapTest, DryRunCountsAndWritesNothing) {
  AddKeys(6, *Sealer({old_}));
  EnrollMfa("U1", *Sealer({old_}));
  const std::string before =
      store_->GetAccessKey(KeyId(0)).value().SerializeAsString();
  SecretRewrapOptions options;
  options.dry_run = true;
  SecretRewrapResult result = Run(*Sealer({new_, old_}), options);
  EXPECT_EQ(result.resealed, 7);
  EXPECT_EQ(result.secrets_by_kek,
            (std::map<std::string, int64_t>{{old_.id, 7}}));
  EXPECT_EQ(result.old_keks_in_use(), std::vector<std::string>{old_.id});
  EXPECT_EQ(store_->GetAccessKey(KeyId(0)).value().SerializeAsString(), before);
  EXPECT_TRUE(RewrapEvents().empty());
}

TEST_P(SecretRewrapTest, ConcurrentUpdatesAndASecondRunAreKept) {
  constexpr int kKeys = 150;  // more than one etcd transaction's worth
  AddKeys(kKeys, *Sealer({old_}));
  auto rotated = Sealer({new_, old_});
  // Meanwhile: key descriptions change (as UpdateAccessKey or a last-use
  // write would), and a second run races the first.
  std::atomic<bool> stop{false};
  // What the writer last wrote to each key; read after it is joined.
  std::vector<std::string> last_description(kKeys);
  int described = 0;
  std::thread writer([&] {
    for (int round = 0; !stop; ++round) {
      const int i = round % kKeys;
      const std::string description = absl::StrCat("round ", round);
      if (store_
              ->UpdateAccessKey(KeyId(i),
                                [&](AccessKeyRecord& key) {
                                  key.set_description(description);
                                  return absl::OkStatus();
                                },
                                {})
              .ok()) {
        last_description[i] = description;
        ++described;
      }
    }
  });
  SecretRewrapOptions options;
  options.batch_size = 40;
  absl::StatusOr<SecretRewrapResult> second;
  std::thread racer([&] {
    SecretRewrap rewrap(*store_, *rotated, clock_);
    second = rewrap.Run(Operator(), options);
  });
  SecretRewrapResult first = Run(*rotated, options);
  racer.join();
  stop = true;
  writer.join();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_GT(described, 0);
  // Each key re-sealed by exactly one of the runs.
  EXPECT_EQ(first.resealed + second->resealed, kKeys);
  EXPECT_EQ(first.failed() + second->failed(), 0);
  ExpectKeysOpen(kKeys, *Sealer({new_}));
  // No run wrote back a record it had read before a concurrent change:
  // every key holds the writer's last description.
  for (int i = 0; i < kKeys; ++i) {
    EXPECT_EQ(store_->GetAccessKey(KeyId(i)).value().description(),
              last_description[i])
        << "key " << i;
  }
}

TEST_P(SecretRewrapTest, ABatchThatFailsHalfwayIsFinishedKeyByKey) {
  AddKeys(10, *Sealer({old_}));
  testing::FaultyStore faulty(*store_);
  faulty.fail_batches_halfway = true;
  auto rotated = Sealer({new_, old_});
  SecretRewrap rewrap(faulty, *rotated, clock_);
  absl::StatusOr<SecretRewrapResult> result =
      rewrap.Run(Operator(), SecretRewrapOptions());
  ASSERT_TRUE(result.ok()) << result.status();
  // The half the batch wrote is recognised as this run's own work.
  EXPECT_EQ(result->resealed, 10);
  EXPECT_EQ(result->changed_concurrently, 0);
  ExpectKeysOpen(10, *Sealer({new_}));
}

TEST_P(SecretRewrapTest, BatchUpdateSkipsDeletedKeysAndInvalidatesTheCache) {
  AddKeys(3, *Sealer({old_}));
  std::unique_ptr<storage::Store> cached =
      storage::NewCachingStore(std::move(store_), {});
  // Warm the cache with the stored form.
  ASSERT_TRUE(cached->GetAccessKey(KeyId(0)).ok());
  ASSERT_EQ(cached->ListAccessKeys("U1").value().size(), 3u);
  absl::StatusOr<std::vector<std::string>> written =
      cached->UpdateAccessKeys({KeyId(0), "AKNOSUCHKEY000000000", KeyId(2)},
                               [](AccessKeyRecord& key) {
                                 key.set_description("batched");
                                 return true;
                               },
                               {});
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(*written, (std::vector<std::string>{KeyId(0), KeyId(2)}));
  EXPECT_EQ(cached->GetAccessKey(KeyId(0)).value().description(), "batched");
  std::vector<AccessKeyRecord> keys = cached->ListAccessKeys("U1").value();
  for (const AccessKeyRecord& key : keys) {
    EXPECT_EQ(key.description(),
              key.access_key_id() == KeyId(1) ? "" : "batched");
  }
  store_ = std::move(cached);
}

// The server's side: one run at a time, admins with the password only.
class SecretRewrapJobTest : public SecretRewrapTest {};
INSTANTIATE_TEST_SUITE_P(
    Engines, SecretRewrapJobTest,
    ::testing::Values(::identity::testing::StoreEngine::kRocksDb),
    ::identity::testing::StoreEngineName);

TEST_P(SecretRewrapJobTest, OneRunAtATimeForAdminsWithThePassword) {
  AddKeys(50, *Sealer({old_}));
  auto rotated = Sealer({new_, old_});
  // The run's first batch waits until the test has tried a second start.
  absl::Notification second_start_tried;
  testing::FaultyStore held(*store_);
  held.hold_batches_until = &second_start_tried;
  absl::Mutex mu;
  std::vector<SecretRewrapRun> finished;
  SecretRewrapJob job(held, *rotated, clock_, [&](const SecretRewrapRun& run) {
    absl::MutexLock lock(&mu);
    finished.push_back(run);
  });
  // Released on every way out, before the job (and its thread) goes.
  absl::Cleanup release = [&] {
    if (!second_start_tried.HasBeenNotified()) second_start_tried.Notify();
  };
  Principal admin;
  admin.user_id = "U9";
  admin.user_name = "root";
  admin.is_admin = true;
  Principal admin_session = admin;
  Principal user;
  user.user_name = "alice";
  user.password_verified = true;
  admin.password_verified = true;

  EXPECT_TRUE(absl::IsPermissionDenied(job.Start(user, false, false).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(job.Status(user).status()));
  EXPECT_TRUE(
      absl::IsUnauthenticated(job.Start(admin_session, false, false).status()));
  EXPECT_FALSE(job.Status(admin_session).value().has_value());

  absl::StatusOr<SecretRewrapRun> started = job.Start(admin, false, false);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->state, SecretRewrapRun::State::kRunning);
  absl::StatusOr<SecretRewrapRun> again = job.Start(admin, false, false);
  EXPECT_TRUE(absl::IsFailedPrecondition(again.status())) << again.status();
  EXPECT_EQ(ReasonOf(again.status()), std::string(kRewrapRunning));
  second_start_tried.Notify();

  for (int i = 0; i < 600; ++i) {
    absl::MutexLock lock(&mu);
    if (!finished.empty()) break;
    mu.AwaitWithTimeout(
        absl::Condition(
            +[](std::vector<SecretRewrapRun>* runs) { return !runs->empty(); },
            &finished),
        absl::Milliseconds(100));
  }
  std::optional<SecretRewrapRun> last = job.Status(admin_session).value();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->state, SecretRewrapRun::State::kSucceeded);
  EXPECT_EQ(last->started_by, "root");
  EXPECT_EQ(last->result.resealed, 50);
  // The next run may start once the last ended.
  ASSERT_TRUE(job.Start(admin, /*dry_run=*/true, false).ok());
}

}  // namespace
}  // namespace identity::auth
