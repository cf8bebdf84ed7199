// A 100,000-command ingest through the command path on a real broker that is
// stopped and restarted in the middle. The client retries failed batches with
// the same command ids. Afterwards: every command's events are in the log
// exactly once (counts and event ids), and the live views equal a rebuild.
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "engine/event_subject.h"
#include "tests/support/fixture.h"

using namespace ledger;
using namespace ledger::test;
using C = fb::Command;

TEST_CASE("A broker restart in the middle of a 100,000-command ingest loses and doubles nothing",
          "[.][kafka-ingest]") {
  const char* kdir = std::getenv("LEDGER_KAFKA_DIR");
  if (TestLogUri().empty() || kdir == nullptr) {
    WARN(
        "SKIPPED: needs LEDGER_TEST_LOG=kafka, LEDGER_KAFKA_BOOTSTRAP and LEDGER_KAFKA_DIR "
        "(scripts/test.sh sets them)");
    return;
  }
  Fixture f;
  constexpr int kMerchants = 100, kCommands = 100000, kBatch = 1000;
  // Commands: merchants first, then violations spread over them (one event each).
  std::vector<ParsedCommand> all;
  all.reserve(kCommands);
  for (int i = 0; i < kCommands; ++i) {
    const std::string id = fmt::format("ingest-{}", i);
    auto p =
        i < kMerchants
            ? f.ledger().codec().ParseBody(
                  C::RegisterMerchant,
                  fmt::format(
                      R"({{"merchant_id":"m{}","name":"M","licence_date":"2025-01-01","domains":["m.ir"]}})",
                      i),
                  id, fb::Role::operator_, "centre")
            : f.ledger().codec().ParseBody(
                  C::RecordViolation,
                  fmt::format(R"({{"merchant_id":"m{}","level":{},"rule":"r{}"}})", i % kMerchants,
                              1 + i % 3, i),
                  id, fb::Role::operator_, "centre");
    REQUIRE(p.ok());
    all.push_back(std::move(p.value()));
  }
  std::atomic<bool> restart_now{false}, restarted{false};
  std::thread restarter([&] {
    while (!restart_now) std::this_thread::yield();
    const std::string cmd = fmt::format("'{}/scripts/kafka-broker.sh' restart '{}' >/dev/null 2>&1",
                                        LEDGER_SOURCE_DIR, kdir);
    CHECK(std::system(cmd.c_str()) == 0);
    restarted = true;
  });
  uint64_t failures = 0, replayed = 0, events_acked = 0;
  for (int start = 0; start < kCommands; start += kBatch) {
    if (start == kCommands * 3 / 10) restart_now = true;
    std::vector<ParsedCommand> batch(all.begin() + start,
                                     all.begin() + std::min(kCommands, start + kBatch));
    for (int attempt = 0;; ++attempt) {
      REQUIRE(attempt < 200);
      auto outcomes = f.ledger().Submit(batch);
      bool ok = true;
      for (const auto& o : outcomes) {
        if (!o.status.ok()) {
          INFO(o.status.ToString());
          REQUIRE((o.status.code() == Code::kUnavailable || o.status.code() == Code::kIoError));
          ok = false;
          break;
        }
      }
      if (!ok) {
        ++failures;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        continue;
      }
      for (const auto& o : outcomes) {
        if (o.result.value("replayed", false)) ++replayed;
        events_acked += o.result["events"].size();
      }
      break;
    }
  }
  // The broker was stopped and back before the last batch was acknowledged.
  CHECK(restarted);
  restarter.join();
  // Every command is in the log once: exactly one event per command, no id twice.
  std::set<std::string> event_ids;
  std::map<std::string, uint64_t> by_type;
  uint64_t records = 0;
  for (PartitionId p = 0; p < f.ledger().log().partitions(); ++p) {
    Offset next = 0;
    for (;;) {
      auto recs = f.ledger().log().Read(p, next, 10000).value();
      if (recs.empty()) break;
      for (const auto& r : recs) {
        const auto* e = DecodeEvent(r.bytes).value();
        CHECK(event_ids.insert(e->event_id()->str()).second);
        ++by_type[std::string(PayloadName(*e))];
        ++records;
      }
      next = recs.back().offset + 1;
    }
  }
  CHECK(records == kCommands);
  CHECK(by_type["MerchantRegistered"] == kMerchants);
  CHECK(by_type["ViolationRecorded"] == kCommands - kMerchants);
  CHECK(events_acked == kCommands);
  uint64_t violations = 0;
  for (int m = 0; m < kMerchants; ++m) {
    const auto s = f.MerchantOf(fmt::format("m{}", m));
    violations += s.violations_l1 + s.violations_l2 + s.violations_l3;
  }
  CHECK(violations == kCommands - kMerchants);
  // The views equal a clean rebuild of the log.
  auto fresh = ViewStore::Open(f.dir() + "/rebuild").value();
  REQUIRE(ApplyLog(f.ledger().log(), *fresh).ok());
  CHECK(fresh->Digest().value() == f.ledger().views().Digest().value());
  WARN(fmt::format(
      "ingest: {} failed batches retried, {} commands replayed after an unknown outcome", failures,
      replayed));
}
