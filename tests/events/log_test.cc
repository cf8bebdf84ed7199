// The embedded log: partitioning, offsets, the hash chain, durability across
// reopen, group commit; and the projections' first invariant (a rebuild from
// the log equals the live views).
#include <thread>

#include <catch2/catch.hpp>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include "events/codec.h"
#include "events/embedded_log.h"
#include "projections/projector.h"
#include "tests/support/fixture.h"

using namespace ledger;
using namespace ledger::test;

TEST_CASE("Partitions follow Kafka's murmur2 partitioner", "[log][partition]") {
  // Known values of Kafka's Utils.murmur2, taken positive, modulo a partition count.
  auto positive_mod = [](int32_t h, int32_t n) {
    return static_cast<PartitionId>((h & 0x7fffffff) % n);
  };
  CHECK(PartitionFor("21", 1000) == positive_mod(-973932308, 1000));
  CHECK(PartitionFor("foobar", 1000) == positive_mod(-790332482, 1000));
  CHECK(PartitionFor("a-little-bit-long-string", 1000) == positive_mod(-985981536, 1000));
  CHECK(PartitionFor("a-little-bit-longer-string", 1000) == positive_mod(-1486304829, 1000));
  CHECK(PartitionFor("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 1000) ==
        positive_mod(-58897971, 1000));
  CHECK(PartitionFor("abc", 1000) == positive_mod(479470107, 1000));
}

TEST_CASE("Appends get consecutive offsets per partition and chain their hashes", "[log]") {
  const auto dir = TempDir("log");
  auto log = EmbeddedLog::Open(dir, {.partitions = 4}).value();
  std::vector<PendingRecord> batch;
  for (int i = 0; i < 10; ++i) batch.push_back({"m-a", MakeRecord("m-a", i)});
  auto pos = log->Append(std::move(batch)).value();
  REQUIRE(pos.size() == 10);
  const PartitionId p = PartitionFor("m-a", 4);
  for (size_t i = 0; i < pos.size(); ++i) {
    CHECK(pos[i].partition == p);
    CHECK(pos[i].offset == i);
  }
  auto recs = log->Read(p, 0, 100).value();
  REQUIRE(recs.size() == 10);
  Hash32 head = ZeroHash();
  for (const auto& r : recs) {
    const auto* e = DecodeEvent(r.bytes, r.partition, r.offset).value();
    CHECK(std::equal(head.begin(), head.end(), e->prev_hash()->begin()));
    head = HashRecord(r.bytes);
  }
  CHECK(head == pos.back().hash);
  CHECK(log->Read(p, 4, 3).value().front().offset == 4);
  CHECK(log->Read(p, 4, 3).value().size() == 3);
  CHECK(log->EndOffset(p).value() == 10);
  CHECK(log->Read(9, 0, 1).status().code() == Code::kInvalidArgument);
}

TEST_CASE("A reopened log continues the offsets and the chain", "[log]") {
  const auto dir = TempDir("log");
  Hash32 head;
  {
    auto log = EmbeddedLog::Open(dir, {.partitions = 2}).value();
    head = log->Append({{"m", MakeRecord("m", 1)}, {"m", MakeRecord("m", 2)}}).value().back().hash;
  }
  auto log = EmbeddedLog::Open(dir, {.partitions = 8}).value();  // the count is the log's own
  CHECK(log->partitions() == 2);
  auto pos = log->Append({{"m", MakeRecord("m", 3)}}).value();
  CHECK(pos[0].offset == 2);
  auto recs = log->Read(pos[0].partition, 2, 1).value();
  const auto* e = DecodeEvent(recs[0].bytes).value();
  CHECK(std::equal(head.begin(), head.end(), e->prev_hash()->begin()));
}

TEST_CASE("Concurrent appends share syncs (group commit) and lose nothing", "[log][group-commit]") {
  const auto dir = TempDir("log");
  auto log = EmbeddedLog::Open(dir, {.partitions = 3}).value();
  const uint64_t syncs_before = log->sync_count();
  constexpr int kThreads = 8, kPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string m = fmt::format("m-{}", t);
        auto r = log->Append({{m, MakeRecord(m, i)}});
        if (!r.ok()) FAIL(r.status().ToString());
      }
    });
  }
  for (auto& th : threads) th.join();
  uint64_t total = 0;
  for (PartitionId p = 0; p < 3; ++p) total += log->EndOffset(p).value();
  CHECK(total == kThreads * kPerThread);
  // Every append waited for a sync, but fewer syncs than appends were needed.
  CHECK(log->sync_count() - syncs_before < static_cast<uint64_t>(kThreads * kPerThread));
}

TEST_CASE("A record that fails verification is reported with its partition and offset",
          "[log][corruption]") {
  CHECK(
      DecodeEvent("not an event at all", 3, 17).status().message().find("partition 3 offset 17") !=
      std::string::npos);
  std::string rec = MakeRecord("m", 1);
  rec.resize(rec.size() / 2);
  CHECK(DecodeEvent(rec, 0, 5).status().code() == Code::kCorruption);
}

TEST_CASE("Replaying the log into empty views gives the live views' digest",
          "[replay][invariant]") {
  Fixture f;
  f.RegisterMerchant("m1");
  f.RegisterMerchant("m2");
  const auto a = f.Accepted("m1", "R1");
  const auto b = f.Accepted("m2", "R2");
  f.Accepted("m2", "R3");
  f.Advance(80 * kHourMs);
  REQUIRE(f.Merchant(fb::Command::Respond, a, "m1", R"(,"message":"x")").status.ok());
  REQUIRE(f.Consumer(fb::Command::Escalate, a, R"(,"forum":"arbitration","fee_rate_percent":3)")
              .status.ok());
  f.Advance(200 * kHourMs);
  REQUIRE(f.Merchant(fb::Command::Respond, b, "m2", R"(,"message":"y")").status.ok());
  f.Advance(100 * 24 * kHourMs);

  const Hash32 live = f.ledger().views().Digest().value();
  auto fresh = ViewStore::Open(f.dir() + "/rebuild").value();
  const uint64_t applied = ApplyLog(f.ledger().log(), *fresh).value().applied;
  CHECK(applied == f.LogLength());
  CHECK(fresh->Digest().value() == live);
  // And a change in the views changes the digest.
  rocksdb::WriteBatch wb;
  wb.Put(fresh->handle(Cf::kTimers), "x", "");
  REQUIRE(fresh->Write(wb).ok());
  CHECK(fresh->Digest().value() != live);
}

TEST_CASE("Views that fell behind the log catch up on open", "[replay][recovery]") {
  const auto dir = TempDir("catchup");
  ManualClock clock(ParseTime(kStart).value());
  Hash32 digest;
  LedgerOptions options;
  options.data_dir = dir;
  {
    auto l = Ledger::Open(options, clock).value();
    REQUIRE(
        l->SubmitJson(
             R"({"id":"r1","actor":{"role":"operator","id":"c"},"command_type":"RegisterMerchant",)"
             R"("command":{"merchant_id":"m","name":"M","licence_date":"2025-01-01","domains":["m.ir"]}})")
            .status.ok());
    digest = l->views().Digest().value();
  }
  // Lose the views entirely: they are rebuilt from the log.
  std::filesystem::remove_all(dir + "/views");
  auto l = Ledger::Open(options, clock).value();
  CHECK(l->views().Digest().value() == digest);
  CHECK(l->GetMerchant("m").ok());
}

TEST_CASE("A tampered record breaks the chain and the replay names the offset",
          "[replay][tamper]") {
  const auto dir = TempDir("tamper");
  {
    auto log = EmbeddedLog::Open(dir + "/log", {.partitions = 1}).value();
    REQUIRE(
        log->Append(
               {{"m", MakeRecord("m", 0)}, {"m", MakeRecord("m", 1)}, {"m", MakeRecord("m", 2)}})
            .ok());
  }
  // Rewrite offset 1 with a different (valid) record.
  {
    rocksdb::DB* raw = nullptr;
    rocksdb::Options o;
    REQUIRE(rocksdb::DB::Open(o, dir + "/log", &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::string key(12, '\0');
    key[11] = 1;
    std::string forged = MakeRecord("m", 99);
    REQUIRE(db->Put(rocksdb::WriteOptions(), key, forged).ok());
  }
  auto log = EmbeddedLog::Open(dir + "/log").value();
  auto views = ViewStore::Open(dir + "/views").value();
  auto r = ApplyLog(*log, *views);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kCorruption);
  INFO(r.status().message());
  CHECK(r.status().message().find("offset 1: hash chain broken") != std::string::npos);
}

TEST_CASE("A command's events split across two commits keep one complete command record",
          "[replay][invariant]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto id = f.Accepted("m1", "R1");  // VerifyTransaction writes two events
  const Hash32 live = f.ledger().views().Digest().value();
  // Replay one record per commit, so every two-event command straddles a
  // commit: into live and bulk stores; with one projector, which carries the
  // command's result into the next commit, and with a new projector per
  // commit, which reads it back from the store.
  const auto mode = GENERATE(ViewStore::Mode::kLive, ViewStore::Mode::kBulk);
  const bool carry = GENERATE(true, false);
  INFO("bulk " << (mode == ViewStore::Mode::kBulk) << ", one projector " << carry);
  const std::string dir = f.dir() + fmt::format("/one-by-one-{}-{}", static_cast<int>(mode), carry);
  auto fresh = ViewStore::Open(dir, mode).value();
  auto projector = std::make_unique<Projector>(*fresh);
  for (PartitionId p = 0; p < f.ledger().log().partitions(); ++p) {
    Hash32 head = ZeroHash();
    for (const auto& r : f.ledger().log().Read(p, 0, SIZE_MAX).value()) {
      if (!carry) projector = std::make_unique<Projector>(*fresh);
      auto pos = projector->StageFromLog(r, head, "test");
      REQUIRE(pos.ok());
      REQUIRE(projector->Commit({pos.value()}).ok());
    }
  }
  REQUIRE(fresh->Flush().ok());
  CHECK(fresh->Digest().value() == live);
  (void)id;
}
