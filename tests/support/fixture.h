// A ledger in a fresh temporary directory with a manual clock, and helpers
// that read like the rules.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "app/ledger/service.h"
#include "engine/event_subject.h"
#include "events/codec.h"
#include "projections/views.h"

namespace ledger::test {

inline std::string TempDir(const std::string& tag) {
  static int counter = 0;
  auto dir = std::filesystem::temp_directory_path() /
             fmt::format("ledger-test-{}-{}-{}", tag, ::getpid(), ++counter);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// An encoded event for log tests: offset 0 registers `merchant`, later ones
// change its star level. `id` (default "<merchant>-<n>") becomes its event_id.
inline std::string MakeRecord(const std::string& merchant, int n, const std::string& id = "") {
  fb::EventT e;
  e.event_id = id.empty() ? fmt::format("{}-{}", merchant, n) : id;
  e.partition_key = merchant;
  e.stream_id = "merchant/" + merchant;
  e.stream_version = static_cast<uint64_t>(n);
  e.occurred_at_ms = 1000 + n;
  e.prev_hash.assign(32, 0);
  if (n == 0) {
    fb::MerchantRegisteredT p;
    p.merchant_id = merchant;
    e.payload.Set(std::move(p));
  } else {
    fb::StarLevelChangedT p;
    p.merchant_id = merchant;
    e.payload.Set(std::move(p));
  }
  return EncodeEvent(e);
}

constexpr const char* kStart = "2026-03-01T08:00:00Z";

// With LEDGER_TEST_LOG=kafka, fixtures run on a fresh topic of the broker at
// LEDGER_KAFKA_BOOTSTRAP instead of the embedded log.
inline std::string TestLogUri() {
  const char* mode = std::getenv("LEDGER_TEST_LOG");
  if (mode == nullptr || std::string(mode) != "kafka") return "";
  const char* bootstrap = std::getenv("LEDGER_KAFKA_BOOTSTRAP");
  if (bootstrap == nullptr)
    throw std::runtime_error("LEDGER_TEST_LOG=kafka needs LEDGER_KAFKA_BOOTSTRAP");
  static int n = 0;
  return fmt::format("kafka://{}/test.{}.{}.{}", bootstrap, ::getpid(), std::rand() % 100000, ++n);
}

class Fixture {
 public:
  explicit Fixture(const std::string& policy = "enamad")
      : dir_(TempDir("fx")), clock_(ParseTime(kStart).value()) {
    LedgerOptions o;
    o.data_dir = dir_;
    o.policy = policy;
    o.log_uri = TestLogUri();
    auto l = Ledger::Open(o, clock_);
    if (!l.ok()) throw std::runtime_error(l.status().ToString());
    ledger_ = std::move(l.value());
  }
  ~Fixture() {
    ledger_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  Ledger& ledger() { return *ledger_; }
  ManualClock& clock() { return clock_; }
  const std::string& dir() const { return dir_; }

  Outcome Run(fb::Command type, fb::Role role, const std::string& who, const std::string& body,
              const std::string& id = "") {
    auto parsed = ledger_->codec().ParseBody(type, body, id, role, who);
    if (!parsed.ok()) {
      Outcome o;
      o.status = parsed.status();
      return o;
    }
    return ledger_->SubmitOne(parsed.value());
  }
  Outcome Op(fb::Command type, const std::string& body, const std::string& id = "") {
    return Run(type, fb::Role::operator_, "centre", body, id);
  }

  void RegisterMerchant(const std::string& id, const std::string& extra = "") {
    auto o = Op(fb::Command::RegisterMerchant,
                fmt::format(R"({{"merchant_id":"{}","name":"Shop {}","licence_date":"2024-01-01",)"
                            R"("domains":["{}.example"]{}}})",
                            id, id, id, extra));
    if (!o.status.ok()) throw std::runtime_error(o.status.ToString());
  }

  static std::string ComplaintBody(const std::string& merchant, const std::string& ref,
                                   const std::string& extra = "") {
    return fmt::format(R"({{"merchant_id":"{}","consumer_id":"u-1","reference_number":"{}",)"
                       R"("terminal":"T-9","purchase_date":"2026-02-20","amount":500000,)"
                       R"("invoice_number":"INV-{}","category":"non_delivery"{}}})",
                       merchant, ref, ref, extra);
  }

  // Files and verifies a complaint; returns the case id.
  std::string Accepted(const std::string& merchant, const std::string& ref) {
    auto f =
        Run(fb::Command::FileComplaint, fb::Role::consumer, "u-1", ComplaintBody(merchant, ref));
    if (!f.status.ok()) throw std::runtime_error(f.status.ToString());
    const std::string id = f.result["case_id"];
    auto v = Op(fb::Command::VerifyTransaction, CaseBody(id));
    if (!v.status.ok()) throw std::runtime_error(v.status.ToString());
    return id;
  }

  static std::string CaseBody(const std::string& case_id, const std::string& extra = "") {
    return fmt::format(R"({{"case_id":"{}"{}}})", case_id, extra);
  }

  Outcome Merchant(fb::Command type, const std::string& case_id, const std::string& merchant,
                   const std::string& extra = "") {
    return Run(type, fb::Role::merchant, merchant, CaseBody(case_id, extra));
  }
  Outcome Consumer(fb::Command type, const std::string& case_id, const std::string& extra = "") {
    return Run(type, fb::Role::consumer, "u-1", CaseBody(case_id, extra));
  }

  // Moves the clock and fires what fell due; returns the events' types.
  std::vector<std::string> Advance(TimeMs d) {
    const uint64_t before = LogLength();
    clock_.Advance(d);
    auto n = ledger_->Tick();
    if (!n.ok()) throw std::runtime_error(n.status().ToString());
    return TypesSince(before);
  }

  CaseState Case(const std::string& id) { return *ledger_->GetCase(id).value(); }
  MerchantState MerchantOf(const std::string& id) { return *ledger_->GetMerchant(id).value(); }

  // The number of records in the log (Kafka offsets have gaps, so count).
  uint64_t LogLength() {
    uint64_t n = 0;
    for (PartitionId p = 0; p < ledger_->log().partitions(); ++p)
      n += ledger_->log().Read(p, 0, SIZE_MAX).value().size();
    return n;
  }

  // Types of all events in log order across partitions, from global index `from`
  // (events here are all in one partition per merchant; order within it holds).
  std::vector<std::string> TypesSince(uint64_t from) {
    std::vector<std::pair<TimeMs, std::pair<uint64_t, std::string>>> all;
    uint64_t seq = 0;
    for (PartitionId p = 0; p < ledger_->log().partitions(); ++p) {
      auto recs = ledger_->log().Read(p, 0, SIZE_MAX).value();
      for (const auto& r : recs) {
        const auto* e = DecodeEvent(r.bytes).value();
        all.push_back({e->occurred_at_ms(), {seq++, std::string(PayloadName(*e))}});
      }
    }
    std::vector<std::string> out;
    if (from >= all.size()) return out;
    // The newest `all.size() - from` events, by time then by log order.
    std::sort(all.begin(), all.end());
    for (size_t i = from; i < all.size(); ++i) out.push_back(all[i].second.second);
    return out;
  }

 private:
  std::string dir_;
  ManualClock clock_;
  std::unique_ptr<Ledger> ledger_;
};

}  // namespace ledger::test
