// Replay for auditors and analysts: rebuild, verify, as-of, export, queries.
#include <sstream>

#include <rocksdb/db.h>
#include <catch2/catch.hpp>

#include "app/workload/workload.h"
#include "engine/event_subject.h"
#include "events/embedded_log.h"
#include "projections/queries.h"
#include "replay/event_json.h"
#include "replay/replay.h"
#include "tests/support/fixture.h"

using namespace ledger;
using namespace ledger::test;
using C = fb::Command;

namespace {

// A small simulated ledger, with the merchant profiles captured live at a few moments.
constexpr int kLegs = 8;

struct Simulated {
  Simulated() : dir(TempDir("sim")), clock(0) {
    LedgerOptions o;
    o.data_dir = dir;
    ledger = Ledger::Open(o, clock).value();
    WorkloadOptions w;
    w.merchants = 40;
    w.complaints_per_month = 150;
    w.months = 1;
    w.seed = 7;
    w.start = "2025-03-01";
    // Run in legs of a month, capturing every profile between them.
    for (int leg = 0; leg < kLegs; ++leg) {
      auto leg_report = RunWorkload(*ledger, clock, w, {}).value();
      accepted += leg_report.accepted;
      complaints += leg_report.complaints;
      refused += leg_report.refused;
      // The next leg starts just after the capture, so the capture saw all of its instant.
      w.start = FormatTime(clock.Now() + 1);
      std::map<std::string, nlohmann::json> snapshot;
      for (const auto& [id, bytes] : ledger->views().Scan(Cf::kMerchants, "", SIZE_MAX).value()) {
        snapshot[id] = MerchantJson(*DecodeMerchantState(bytes).value(), clock.Now());
      }
      snapshots.emplace_back(clock.Now(), std::move(snapshot));
      w.seed += 1;
    }
  }
  ~Simulated() {
    ledger.reset();
    std::filesystem::remove_all(dir);
  }
  std::string dir;
  ManualClock clock;
  std::unique_ptr<Ledger> ledger;
  uint64_t accepted = 0, complaints = 0, refused = 0;
  std::vector<std::pair<TimeMs, std::map<std::string, nlohmann::json>>> snapshots;
};

Simulated& Shared() {
  static Simulated s;
  return s;
}

}  // namespace

TEST_CASE("The simulated workload goes through the rules and makes every kind of activity",
          "[replay][simulate]") {
  auto& s = Shared();
  CHECK(s.accepted > 2000);
  CHECK(s.complaints > 600);
  CHECK(s.refused < s.accepted / 4);
  auto rank = RankMerchants(s.ledger->views(), "delays_total", 3, s.clock.Now()).value();
  CHECK(rank[0]["delays_total"].get<int64_t>() > 0);
  auto analytics = ComplaintAnalytics(s.ledger->views(), {"category"}, "", "").value();
  CHECK(analytics.size() >= 5);
  uint64_t sum = 0;
  for (const auto& row : analytics) sum += row["complaints"].get<uint64_t>();
  auto by_month = ComplaintAnalytics(s.ledger->views(), {"month"}, "", "").value();
  uint64_t sum_months = 0;
  for (const auto& row : by_month) sum_months += row["complaints"].get<uint64_t>();
  CHECK(sum == sum_months);
  auto rt = ResponseTimes(s.ledger->views(), "").value();
  CHECK(rt["responses"].get<uint64_t>() > 50);
  CHECK(rt["p50_hours"].get<double>() <= rt["p99_hours"].get<double>());
}

TEST_CASE("A merchant's profile as of a past moment equals what the live views showed then",
          "[replay][as-of]") {
  auto& s = Shared();
  size_t compared = 0;
  for (const auto& [at, profiles] : s.snapshots) {
    for (const auto& [id, live] : profiles) {
      auto m = MerchantAsOf(s.ledger->log(), s.ledger->views(), id, at);
      REQUIRE(m.ok());
      INFO(id << " at " << FormatTime(at));
      CHECK(MerchantJson(*m.value(), at) == live);
      ++compared;
    }
  }
  CHECK(compared == kLegs * 40);
  // The busiest merchants have snapshots, so those profiles started from one.
  CHECK(s.ledger->views().Scan(Cf::kIndex, "snap/", SIZE_MAX).value().size() > 10);
  CHECK(MerchantAsOf(s.ledger->log(), s.ledger->views(), "m00000", 0).status().code() ==
        Code::kNotFound);
}

TEST_CASE("Verify passes on an honest ledger and a rebuild reproduces its digest",
          "[replay][verify]") {
  auto& s = Shared();
  auto r = Verify(s.ledger->log(), s.ledger->views(), s.dir + "/scratch", {});
  REQUIRE(r.ok());
  CHECK(r->events > 1000);
  CHECK(r->live_digest == r->rebuilt_digest);
}

TEST_CASE("Export filters by merchant, case, type and time", "[replay][export]") {
  auto& s = Shared();
  EventJson renderer;
  std::stringstream all, typed, csv;
  ExportFilter f;
  f.merchant_id = "m00000";
  const uint64_t n =
      Export(s.ledger->log(), s.ledger->views(), f, ExportFormat::kJsonLines, renderer, all)
          .value();
  CHECK(n == MerchantEventPositions(s.ledger->views(), "m00000").value().size());
  std::string line;
  while (std::getline(all, line)) CHECK(nlohmann::json::parse(line)["partition_key"] == "m00000");
  f.types = {"ResponseDeadlineMissed"};
  const uint64_t missed =
      Export(s.ledger->log(), s.ledger->views(), f, ExportFormat::kCsv, renderer, csv).value();
  CHECK(missed < n);
  size_t lines = 0;
  while (std::getline(csv, line)) {
    if (lines++ > 0) CHECK(line.find(",ResponseDeadlineMissed,") != std::string::npos);
  }
  CHECK(lines == missed + 1);
  ExportFilter window;
  window.from = s.snapshots[2].first;
  window.to = s.snapshots[3].first;
  std::stringstream w;
  Export(s.ledger->log(), s.ledger->views(), window, ExportFormat::kJsonLines, renderer, w).value();
  while (std::getline(w, line)) {
    const auto t = nlohmann::json::parse(line)["occurred_at_ms"].get<int64_t>();
    CHECK(t >= window.from);
    CHECK(t < window.to);
  }
}

TEST_CASE("Open cases are counted by state and authority", "[replay][query]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto a = f.Accepted("m1", "A");
  f.Accepted("m1", "B");
  REQUIRE(f.Merchant(C::Respond, a, "m1", R"(,"message":"x")").status.ok());
  auto counts = OpenCases(f.ledger().views(), "", "", false, 10).value();
  REQUIRE(counts.size() == 2);
  auto awaiting = OpenCases(f.ledger().views(), "awaiting_response", "", true, 10).value();
  CHECK(awaiting["counts"][0]["cases"] == 1);
  REQUIRE(f.Consumer(C::Accept, a).status.ok());
  CHECK(OpenCases(f.ledger().views(), "awaiting_consumer", "", false, 10).value().empty());
}

namespace {

// A month of the workload generator's activity in a new ledger in `dir`;
// returns its views' digest (the ledger is closed on return).
Hash32 WriteMonthOfWorkload(const std::string& dir, uint32_t merchants, uint32_t per_month) {
  ManualClock clock(ParseTime(kStart).value());
  LedgerOptions o;
  o.data_dir = dir;
  auto l = Ledger::Open(o, clock).value();
  WorkloadOptions w;
  w.merchants = merchants;
  w.complaints_per_month = per_month;
  w.months = 1;
  w.start = "2026-03-01";
  REQUIRE(RunWorkload(*l, clock, w, {}).ok());
  return l->views().Digest().value();
}

}  // namespace

TEST_CASE("Rebuild swaps in fresh views equal to the live ones", "[replay][rebuild]") {
  const auto dir = TempDir("rebuild");
  const Hash32 live = WriteMonthOfWorkload(dir, 10, 60);
  auto log = EmbeddedLog::Open(dir + "/log").value();
  uint64_t calls = 0;
  auto r = Rebuild(*log, dir + "/views", [&](uint64_t, uint64_t) { ++calls; });
  REQUIRE(r.ok());
  CHECK(r->digest == live);
  CHECK(calls > 0);
  CHECK_FALSE(std::filesystem::exists(dir + "/views.rebuild"));
  CHECK(ViewStore::Open(dir + "/views").value()->Digest().value() == live);
  std::filesystem::remove_all(dir);
}

TEST_CASE("Views of another layout are refused, and a rebuild makes them readable",
          "[replay][rebuild]") {
  const auto dir = TempDir("layout");
  const Hash32 live = WriteMonthOfWorkload(dir, 4, 20);
  ManualClock clock(ParseTime(kStart).value());
  LedgerOptions o;
  o.data_dir = dir;
  for (const std::optional<std::string>& written :
       {std::optional<std::string>(), std::optional<std::string>("3")}) {
    INFO("views_format " << written.value_or("absent"));
    {
      auto views = ViewStore::Open(dir + "/views").value();
      auto* meta = views->handle(Cf::kMeta);
      auto s =
          written ? views->db()->Put(rocksdb::WriteOptions(), meta, ViewStore::kFormatKey, *written)
                  : views->db()->Delete(rocksdb::WriteOptions(), meta, ViewStore::kFormatKey);
      REQUIRE(s.ok());
    }
    auto refused = ViewStore::Open(dir + "/views");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().code() == Code::kUnavailable);
    CHECK_THAT(refused.status().message(), Catch::Contains("layout " + written.value_or("1")) &&
                                               Catch::Contains("ledger rebuild"));
    CHECK_FALSE(Ledger::Open(o, clock).ok());
    auto log = EmbeddedLog::Open(dir + "/log").value();
    auto r = Rebuild(*log, dir + "/views", {});
    REQUIRE(r.ok());
    CHECK(r->digest == live);
    auto reopened = ViewStore::Open(dir + "/views");
    REQUIRE(reopened.ok());
    CHECK(reopened.value()->Get(Cf::kMeta, ViewStore::kFormatKey).value() ==
          std::string(ViewStore::kFormat));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("Prefix reads of the views stop at the prefix, past deleted keys and at 0xff bytes",
          "[replay][store]") {
  const auto dir = TempDir("prefix");
  {
    auto views = ViewStore::Open(dir + "/views").value();
    auto* index = views->handle(Cf::kIndex);
    const rocksdb::WriteOptions wo;
    for (const char* k : {"snap/a\0\x01", "snap/a\0\x02", "snap/b\0\x01"}) {
      REQUIRE(views->db()->Put(wo, index, std::string(k, 8), "v").ok());
    }
    // Keys after the prefixes, put and deleted, as the open-case index is.
    for (int i = 0; i < 1000; ++i) {
      const std::string k = fmt::format("st/{:04}", i);
      REQUIRE(views->db()->Put(wo, index, k, "").ok());
      REQUIRE(views->db()->Delete(wo, index, k).ok());
    }
    REQUIRE(views->db()->Put(wo, index, "zz", "last").ok());
    REQUIRE(views->db()->Put(wo, index, std::string("\xff\xff\x01", 3), "ff").ok());
    const std::string a("snap/a\0", 7), b("snap/b\0", 7), c("snap/c\0", 7);
    CHECK(views->Scan(Cf::kIndex, a, 10).value().size() == 2);
    CHECK(views->Scan(Cf::kIndex, "snap/", 10).value().size() == 3);
    CHECK(views->Scan(Cf::kIndex, "st/", 10).value().empty());
    auto first = views->FirstAtOrAfter(Cf::kIndex, a, a + "\x02").value();
    REQUIRE(first);
    CHECK(first->first == a + "\x02");
    CHECK_FALSE(views->FirstAtOrAfter(Cf::kIndex, a, a + "\x03").value());
    CHECK_FALSE(views->FirstAtOrAfter(Cf::kIndex, b, b + "\x02").value());
    CHECK_FALSE(views->FirstAtOrAfter(Cf::kIndex, c, c).value());
    auto ff =
        views->FirstAtOrAfter(Cf::kIndex, std::string("\xff\xff", 2), std::string("\xff\xff", 2))
            .value();
    REQUIRE(ff);
    CHECK(ff->second == "ff");
    auto last = views->LastAtOrBefore(Cf::kIndex, b, b + "\xff").value();
    REQUIRE(last);
    CHECK(last->first == b + "\x01");
    CHECK_FALSE(views->LastAtOrBefore(Cf::kIndex, b, b).value());
    CHECK_FALSE(views->LastAtOrBefore(Cf::kIndex, c, c + "\xff").value());
    CHECK(views->KeysBetween(Cf::kIndex, "snap/", "snap/b", 10).value().size() == 2);
    CHECK(views->KeysBetween(Cf::kIndex, "snap/", "zzz", 10).value().size() == 4);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("A case's and a merchant's lists of events equal a scan of the whole log",
          "[replay][history]") {
  auto& s = Shared();
  EventLog& log = s.ledger->log();
  std::map<std::string, std::vector<std::pair<PartitionId, Offset>>> by_case, by_merchant;
  for (PartitionId p = 0; p < log.partitions(); ++p) {
    for (Offset from = 0;;) {
      auto records = log.Read(p, from, 1024).value();
      if (records.empty()) break;
      for (const auto& rec : records) {
        const fb::Event* e = DecodeEvent(rec.bytes, p, rec.offset).value();
        by_merchant[std::string(e->partition_key()->string_view())].emplace_back(p, rec.offset);
        const std::string case_id(CaseIdOf(*e));
        if (!case_id.empty()) by_case[case_id].emplace_back(p, rec.offset);
        from = rec.offset + 1;
      }
    }
  }
  auto listed = [](const std::vector<Position>& v) {
    std::vector<std::pair<PartitionId, Offset>> out;
    for (const auto& pos : v) out.emplace_back(pos.partition, pos.offset);
    return out;
  };
  size_t beyond_a_snapshot = 0;
  for (const auto& [id, events] : by_merchant) {
    INFO("merchant " << id);
    CHECK(listed(MerchantEventPositions(s.ledger->views(), id).value()) == events);
    if (events.size() > 2 * 128) ++beyond_a_snapshot;
  }
  CHECK(beyond_a_snapshot > 3);
  for (const auto& [id, events] : by_case) {
    INFO("case " << id);
    CHECK(listed(CaseEventPositions(s.ledger->views(), id).value()) == events);
  }
  CHECK(by_case.size() == s.complaints);
  CHECK(CaseEventPositions(s.ledger->views(), "no-such-case").value().empty());
  CHECK(MerchantEventPositions(s.ledger->views(), "no-such-merchant").value().empty());
}

TEST_CASE("Verify names the partition and first bad offset of a deleted record",
          "[replay][verify][tamper]") {
  const auto dir = TempDir("verify");
  ManualClock clock(ParseTime(kStart).value());
  LedgerOptions o;
  o.data_dir = dir;
  PartitionId p;
  {
    auto l = Ledger::Open(o, clock).value();
    REQUIRE(
        l->SubmitJson(
             R"({"actor":{"role":"operator","id":"c"},"command_type":"RegisterMerchant",)"
             R"("command":{"merchant_id":"m1","name":"M","licence_date":"2025-01-01","domains":["m.ir"]}})")
            .status.ok());
    for (int i = 0; i < 3; ++i) {
      REQUIRE(
          l
              ->SubmitJson(fmt::format(
                  R"({{"actor":{{"role":"operator","id":"c"}},"command_type":"RecordViolation",)"
                  R"("command":{{"merchant_id":"m1","level":1,"rule":"r{}"}}}})",
                  i))
              .status.ok());
    }
    p = PartitionFor("m1", l->log().partitions());
  }
  {
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(rocksdb::Options(), dir + "/log", &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    // Delete offset 2 and move offset 3 down into its place: no gap, a broken chain.
    std::string k2(12, '\0'), k3(12, '\0'), v3;
    k2[3] = k3[3] = static_cast<char>(p);
    k2[11] = 2;
    k3[11] = 3;
    REQUIRE(db->Get(rocksdb::ReadOptions(), k3, &v3).ok());
    REQUIRE(db->Put(rocksdb::WriteOptions(), k2, v3).ok());
    REQUIRE(db->Delete(rocksdb::WriteOptions(), k3).ok());
  }
  auto log = EmbeddedLog::Open(dir + "/log").value();
  auto views = ViewStore::Open(dir + "/views").value();
  auto r = Verify(*log, *views, dir + "/scratch", {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find(fmt::format("partition {}: first bad offset 2", p)) !=
        std::string::npos);
  std::filesystem::remove_all(dir);
}

namespace {

// A ledger of one merchant with `n` violations: offsets 0..n in one partition.
std::pair<std::string, PartitionId> SmallLog(int n) {
  const auto dir = TempDir("tamper");
  ManualClock clock(ParseTime(kStart).value());
  LedgerOptions o;
  o.data_dir = dir;
  auto l = Ledger::Open(o, clock).value();
  REQUIRE(
      l->SubmitJson(
           R"({"actor":{"role":"operator","id":"c"},"command_type":"RegisterMerchant",)"
           R"("command":{"merchant_id":"m1","name":"M","licence_date":"2025-01-01","domains":["m.ir"]}})")
          .status.ok());
  for (int i = 0; i < n; ++i) {
    REQUIRE(l
                ->SubmitJson(fmt::format(
                    R"({{"actor":{{"role":"operator","id":"c"}},"command_type":"RecordViolation",)"
                    R"("command":{{"merchant_id":"m1","level":1,"rule":"r{}"}}}})",
                    i))
                .status.ok());
  }
  return {dir, PartitionFor("m1", l->log().partitions())};
}

std::string LogKey(PartitionId p, Offset o) {
  std::string k(12, '\0');
  for (int i = 0; i < 4; ++i) k[i] = static_cast<char>(p >> (24 - 8 * i));
  for (int i = 0; i < 8; ++i) k[4 + i] = static_cast<char>(o >> (56 - 8 * i));
  return k;
}

// Runs `edit` on the raw log database, then verify; returns its error.
std::string VerifyAfter(const std::string& dir, const std::function<void(rocksdb::DB&)>& edit) {
  {
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(rocksdb::Options(), dir + "/log", &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    edit(*db);
  }
  auto log = EmbeddedLog::Open(dir + "/log").value();
  auto views = ViewStore::Open(dir + "/views").value();
  auto r = Verify(*log, *views, dir + "/scratch", {});
  REQUIRE_FALSE(r.ok());
  return r.status().message();
}

}  // namespace

TEST_CASE("Verify names the offset of a record with one byte changed", "[replay][verify][tamper]") {
  auto [dir, p] = SmallLog(5);
  const std::string msg = VerifyAfter(dir, [&, p = p](rocksdb::DB& db) {
    std::string v;
    REQUIRE(db.Get(rocksdb::ReadOptions(), LogKey(p, 3), &v).ok());
    // Flip a byte of the rule text ("r2"), which the FlatBuffers verifier cannot see.
    const auto pos = v.find("r2");
    REQUIRE(pos != std::string::npos);
    v[pos + 1] = '9';
    REQUIRE(db.Put(rocksdb::WriteOptions(), LogKey(p, 3), v).ok());
  });
  INFO(msg);
  // The edited record still decodes; the next one no longer chains to it.
  CHECK(msg.find(fmt::format("partition {}: first bad offset 4", p)) != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("Verify names the offset where two records were swapped", "[replay][verify][tamper]") {
  auto [dir, p] = SmallLog(5);
  const std::string msg = VerifyAfter(dir, [&, p = p](rocksdb::DB& db) {
    std::string a, b;
    REQUIRE(db.Get(rocksdb::ReadOptions(), LogKey(p, 2), &a).ok());
    REQUIRE(db.Get(rocksdb::ReadOptions(), LogKey(p, 3), &b).ok());
    REQUIRE(db.Put(rocksdb::WriteOptions(), LogKey(p, 2), b).ok());
    REQUIRE(db.Put(rocksdb::WriteOptions(), LogKey(p, 3), a).ok());
  });
  INFO(msg);
  CHECK(msg.find(fmt::format("partition {}: first bad offset 2", p)) != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("Verify names a record deleted from the end's neighbour as a gap",
          "[replay][verify][tamper]") {
  auto [dir, p] = SmallLog(5);
  const std::string msg = VerifyAfter(dir, [&, p = p](rocksdb::DB& db) {
    REQUIRE(db.Delete(rocksdb::WriteOptions(), LogKey(p, 2)).ok());
  });
  INFO(msg);
  CHECK(msg.find(fmt::format("partition {} is missing offset 2", p)) != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE(
    "Verify compares views that stopped while the log went on with a rebuild stopped at the same "
    "offsets",
    "[replay][verify]") {
  // An auditor's copy of the views, caught up at some moment, while a server
  // goes on writing to the same log: the records after the copy's offsets
  // are walked, not compared.
  const auto dir = TempDir("verify-behind");
  ManualClock clock(ParseTime(kStart).value());
  LedgerOptions o;
  o.data_dir = dir;
  WorkloadOptions w;
  w.merchants = 10;
  w.complaints_per_month = 60;
  w.months = 1;
  w.start = "2026-03-01";
  {
    auto l = Ledger::Open(o, clock).value();
    REQUIRE(RunWorkload(*l, clock, w, {}).ok());
  }
  std::filesystem::copy(dir + "/views", dir + "/views-then",
                        std::filesystem::copy_options::recursive);
  {
    auto l = Ledger::Open(o, clock).value();
    w.start = FormatTime(clock.Now() + 1);
    REQUIRE(RunWorkload(*l, clock, w, {}).ok());
  }
  auto log = EmbeddedLog::Open(dir + "/log").value();
  auto then = ViewStore::Open(dir + "/views-then").value();
  auto r = Verify(*log, *then, dir + "/scratch", {});
  INFO(r.status().message());
  REQUIRE(r.ok());
  CHECK(r->applied > 0);
  CHECK(r->applied < r->events);
  CHECK(r->live_digest == r->rebuilt_digest);
  CHECK(r->live_digest == then->Digest().value());
  std::filesystem::remove_all(dir);
}
