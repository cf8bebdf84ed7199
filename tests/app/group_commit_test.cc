// Group commit in Ledger::Submit: many callers at once, each acknowledged
// command's events in the log exactly once and in the order of its caller's
// acknowledgements, outcomes equal to a serial run's, and a failed append
// that fails its whole group and leaves nothing behind.
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "app/ledger/policy_file.h"
#include "events/embedded_log.h"
#include "tests/support/fixture.h"

using namespace ledger;
using namespace ledger::test;
using C = fb::Command;

namespace {

// The embedded log with a switch that makes every append fail (as a full
// disk or a lost broker would), writing nothing.
class FailingLog final : public EventLog {
 public:
  explicit FailingLog(std::unique_ptr<EmbeddedLog> log) : log_(std::move(log)) {}
  uint32_t partitions() const override { return log_->partitions(); }
  OffsetKind offset_kind() const override { return log_->offset_kind(); }
  Result<std::vector<Position>> Append(std::vector<PendingRecord> records) override {
    if (fail_) {
      ++refused_;
      return Status::IoError("append to the test log failed: injected fault");
    }
    return log_->Append(std::move(records));
  }
  Result<std::vector<LogRecord>> Read(PartitionId p, Offset from, size_t max) override {
    return log_->Read(p, from, max);
  }
  Result<Offset> EndOffset(PartitionId p) override { return log_->EndOffset(p); }
  std::string Describe() const override { return log_->Describe(); }

  std::atomic<bool> fail_{false};
  std::atomic<int> refused_{0};

 private:
  std::unique_ptr<EmbeddedLog> log_;
};

struct Opened {
  std::string dir;
  ManualClock clock{ParseTime(kStart).value()};
  FailingLog* log = nullptr;  // owned by the ledger
  std::unique_ptr<Ledger> ledger;

  explicit Opened(bool sync) : dir(TempDir("group")) {
    EmbeddedLogOptions lo;
    lo.sync = sync;
    auto inner = EmbeddedLog::Open(dir + "/log", lo);
    REQUIRE(inner.ok());
    auto wrapped = std::make_unique<FailingLog>(std::move(inner.value()));
    log = wrapped.get();
    auto l = Ledger::Open(std::move(wrapped), dir + "/views", LoadPolicy("enamad").value(), clock);
    REQUIRE(l.ok());
    ledger = std::move(l.value());
  }
  ~Opened() {
    ledger.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  ParsedCommand Parse(C type, fb::Role role, const std::string& who, const std::string& body,
                      const std::string& id) {
    auto p = ledger->codec().ParseBody(type, body, id, role, who);
    REQUIRE(p.ok());
    return std::move(p.value());
  }
  // Every record of the log, partition by partition.
  std::vector<LogRecord> All() {
    std::vector<LogRecord> out;
    for (PartitionId p = 0; p < ledger->log().partitions(); ++p) {
      auto r = ledger->log().Read(p, 0, SIZE_MAX).value();
      out.insert(out.end(), r.begin(), r.end());
    }
    return out;
  }
};

constexpr int kMerchants = 8;

void RegisterMerchants(Opened& o) {
  std::vector<ParsedCommand> regs;
  for (int m = 0; m < kMerchants; ++m) {
    regs.push_back(o.Parse(
        C::RegisterMerchant, fb::Role::operator_, "centre",
        fmt::format(
            R"({{"merchant_id":"m{}","name":"Shop","licence_date":"2024-01-01","domains":["m{}.ir"]}})",
            m, m),
        fmt::format("reg-{}", m)));
  }
  for (const auto& out : o.ledger->Submit(regs)) REQUIRE(out.status.ok());
}

std::string Complaint(int merchant, const std::string& ref, int amount = 500000) {
  return fmt::format(
      R"({{"merchant_id":"m{}","consumer_id":"u-1","reference_number":"{}","terminal":"T-9",)"
      R"("purchase_date":"2026-02-20","amount":{},"invoice_number":"I-{}","category":"non_delivery"}})",
      merchant, ref, amount, ref);
}

// What a caller learns: the code, whether it replayed, the case, the events.
struct Seen {
  std::string id;
  Code code = Code::kOk;
  bool replayed = false;
  std::string case_id;
  std::vector<std::string> types;
  std::vector<std::pair<PartitionId, Offset>> positions;
};

Seen Summarise(const std::string& id, const Outcome& o) {
  Seen s;
  s.id = id;
  s.code = o.status.code();
  s.replayed = o.result.value("replayed", false);
  s.case_id = o.result.value("case_id", "");
  if (o.status.ok() && o.result.contains("events")) {
    for (const auto& e : o.result["events"]) {
      s.types.push_back(e["type"]);
      s.positions.push_back({e["partition"].get<PartitionId>(), e["offset"].get<Offset>()});
    }
  }
  return s;
}

// One caller's script: commands on its own cases (valid, retried, illegal,
// conflicting), then two contested ones shared with its neighbour. Returns
// what it saw, in order; `submit` sends one command and returns its outcome.
template <typename SubmitFn>
std::vector<Seen> Script(int caller, int rounds, SubmitFn&& submit) {
  std::vector<Seen> seen;
  const int m = caller % kMerchants;
  const std::string merchant = fmt::format("m{}", m);
  auto run = [&](C type, fb::Role role, const std::string& who, const std::string& body,
                 const std::string& id) {
    seen.push_back(Summarise(id, submit(type, role, who, body, id)));
    return seen.back();
  };
  for (int r = 0; r < rounds; ++r) {
    const std::string ref = fmt::format("c{}-r{}", caller, r);
    const std::string file_id = "file-" + ref;
    const std::string case_id =
        run(C::FileComplaint, fb::Role::consumer, "u-1", Complaint(m, ref), file_id).case_id;
    run(C::FileComplaint, fb::Role::consumer, "u-1", Complaint(m, ref), file_id);  // retry: replays
    run(C::FileComplaint, fb::Role::consumer, "u-1", Complaint(m, ref, 7),
        file_id);  // same id, other command
    run(C::FileComplaint, fb::Role::consumer, "u-1", Complaint(m, ref),
        "again-" + ref);  // same transaction
    run(C::Accept, fb::Role::consumer, "u-1", Fixture::CaseBody(case_id),
        "acc-early-" + ref);  // nothing to accept yet
    run(C::VerifyTransaction, fb::Role::operator_, "centre", Fixture::CaseBody(case_id),
        "ver-" + ref);
    run(C::Respond, fb::Role::merchant, merchant,
        Fixture::CaseBody(case_id, R"(,"message":"sent")"), "resp-" + ref);
    run(C::Respond, fb::Role::merchant, "m-stranger",
        Fixture::CaseBody(case_id, R"(,"message":"x")"), "");
    run(C::Accept, fb::Role::consumer, "u-1", Fixture::CaseBody(case_id), "acc-" + ref);
    run(C::Accept, fb::Role::consumer, "u-1", Fixture::CaseBody(case_id),
        "acc-" + ref);  // retry: replays
    run(C::Accept, fb::Role::consumer, "u-1", Fixture::CaseBody(case_id),
        "acc-twice-" + ref);  // closed case
    // Contested with the neighbouring caller: one command id both send, and
    // one transaction both file under their own ids.
    const std::string shared = fmt::format("s{}-r{}", caller / 2, r);
    const int pair_merchant = (caller / 2 * 2) % kMerchants;
    run(C::FileComplaint, fb::Role::consumer, "u-1", Complaint(pair_merchant, shared),
        "shared-" + shared);
    run(C::FileComplaint, fb::Role::consumer, "u-1", Complaint(pair_merchant, shared + "t"),
        fmt::format("own-{}-{}", caller, r));
  }
  return seen;
}

constexpr int kSharedPerRound = 2;  // the last two commands of each round

}  // namespace

TEST_CASE("Concurrent callers get a serial run's outcomes and their events land once, in order",
          "[group-commit]") {
  constexpr int kCallers = 16, kRounds = 12;
  Opened live(true);
  RegisterMerchants(live);
  const uint64_t base_records = live.All().size();
  std::vector<std::vector<Seen>> seen(kCallers);
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      seen[c] = Script(c, kRounds,
                       [&](C type, fb::Role role, const std::string& who, const std::string& body,
                           const std::string& id) {
                         auto p = live.ledger->codec().ParseBody(type, body, id, role, who);
                         return live.ledger->SubmitOne(p.value());
                       });
    });
  }
  for (auto& t : callers) t.join();

  // The oracle: the same scripts one command at a time, caller after caller.
  Opened serial(false);
  RegisterMerchants(serial);
  std::vector<std::vector<Seen>> expected(kCallers);
  for (int c = 0; c < kCallers; ++c) {
    expected[c] = Script(c, kRounds,
                         [&](C type, fb::Role role, const std::string& who, const std::string& body,
                             const std::string& id) {
                           return serial.ledger->SubmitOne(serial.Parse(type, role, who, body, id));
                         });
  }

  const size_t per_round = expected[0].size() / kRounds;
  std::map<Code, int> codes;
  std::map<std::string, int> shared_accepted, shared_replayed;
  std::map<int, int> transaction_winners;  // pair of callers, round -> accepted filings
  for (int c = 0; c < kCallers; ++c) {
    REQUIRE(seen[c].size() == expected[c].size());
    for (size_t i = 0; i < seen[c].size(); ++i) {
      const Seen& got = seen[c][i];
      const Seen& want = expected[c][i];
      ++codes[got.code];
      const bool contested = i % per_round >= per_round - kSharedPerRound;
      if (!contested) {
        INFO("caller " << c << " command " << i << " (" << got.id << ")");
        CHECK(got.code == want.code);
        CHECK(got.replayed == want.replayed);
        CHECK(got.case_id == want.case_id);
        CHECK(got.types == want.types);
      } else if (i % per_round == per_round - 2) {
        // Both neighbours sent this id: one applied it, the other replayed it.
        CHECK(got.code == Code::kOk);
        (got.replayed ? shared_replayed : shared_accepted)[got.id]++;
      } else {
        // Both neighbours filed this transaction: one filing wins.
        const int key = (c / 2) * 1000 + static_cast<int>(i / per_round);
        if (got.code == Code::kOk)
          transaction_winners[key]++;
        else
          CHECK(got.code == Code::kConflict);
      }
    }
  }
  CHECK(shared_accepted.size() == kCallers / 2 * kRounds);
  for (const auto& [id, n] : shared_accepted) CHECK((n == 1 && shared_replayed[id] == 1));
  CHECK(transaction_winners.size() == kCallers / 2 * kRounds);
  for (const auto& [k, n] : transaction_winners) CHECK(n == 1);
  // The script exercises every kind of outcome.
  CHECK(codes[Code::kOk] > 0);
  CHECK(codes[Code::kRejected] > 0);
  CHECK(codes[Code::kConflict] > 0);
  CHECK(codes[Code::kPermissionDenied] + codes[Code::kInvalidArgument] > 0);

  // The log: every acknowledged event exactly once, where its outcome said,
  // and nothing that no caller was told about.
  std::map<std::pair<PartitionId, Offset>, std::string> by_position;  // -> command id
  std::set<std::string> event_ids;
  for (const auto& r : live.All()) {
    const auto* e = DecodeEvent(r.bytes).value();
    CHECK(event_ids.insert(e->event_id()->str()).second);
    by_position[{r.partition, r.offset}] = e->command_id() ? e->command_id()->str() : "";
  }
  uint64_t acknowledged = 0;
  for (int c = 0; c < kCallers; ++c) {
    std::map<PartitionId, Offset> last;  // this caller's latest position per partition
    for (const Seen& s : seen[c]) {
      if (s.code != Code::kOk || s.replayed) continue;
      for (const auto& pos : s.positions) {
        ++acknowledged;
        auto it = by_position.find(pos);
        REQUIRE(it != by_position.end());
        CHECK(it->second == s.id);
        // A caller's later command is after its earlier one in the log.
        if (last.count(pos.first)) CHECK(pos.second > last[pos.first]);
        last[pos.first] = pos.second;
      }
    }
  }
  CHECK(acknowledged + base_records == by_position.size());
  // The views equal a rebuild from the log.
  auto fresh = ViewStore::Open(live.dir + "/rebuild").value();
  REQUIRE(ApplyLog(live.ledger->log(), *fresh).ok());
  CHECK(fresh->Digest().value() == live.ledger->views().Digest().value());
}

TEST_CASE("A duplicate and an illegal step inside one group behave as in a serial run",
          "[group-commit]") {
  Opened grouped(true), serial(false);
  RegisterMerchants(grouped);
  RegisterMerchants(serial);
  auto commands = [](Opened& o) {
    return std::vector<ParsedCommand>{
        o.Parse(C::FileComplaint, fb::Role::consumer, "u-1", Complaint(1, "g-1"), "g-file"),
        o.Parse(C::FileComplaint, fb::Role::consumer, "u-1", Complaint(1, "g-1"), "g-file"),
        o.Parse(C::FileComplaint, fb::Role::consumer, "u-1", Complaint(1, "g-1"), "g-file-2"),
        o.Parse(C::FileComplaint, fb::Role::consumer, "u-1", Complaint(1, "g-2"), "g-file"),
        o.Parse(C::Accept, fb::Role::consumer, "u-1", Fixture::CaseBody("C-none"), "g-acc"),
        o.Parse(C::SuspendMerchant, fb::Role::operator_, "centre",
                R"({"merchant_id":"m1","reason":"audit"})", "g-susp"),
        o.Parse(C::FileComplaint, fb::Role::consumer, "u-1", Complaint(1, "g-3"), "g-file-3"),
    };
  };
  const auto group = grouped.ledger->Submit(commands(grouped));
  std::vector<Outcome> one_by_one;
  for (const auto& c : commands(serial)) one_by_one.push_back(serial.ledger->SubmitOne(c));
  REQUIRE(group.size() == one_by_one.size());
  for (size_t i = 0; i < group.size(); ++i) {
    INFO("command " << i << ": " << group[i].result.dump() << " vs "
                    << one_by_one[i].result.dump());
    CHECK(group[i].status.code() == one_by_one[i].status.code());
    CHECK(group[i].result.value("replayed", false) ==
          one_by_one[i].result.value("replayed", false));
    CHECK(group[i].result.value("case_id", "") == one_by_one[i].result.value("case_id", ""));
  }
  CHECK(group[1].result.value("replayed", false));
  CHECK(group[1].result["case_id"] == group[0].result["case_id"]);
  CHECK(group[2].status.code() == Code::kConflict);  // the transaction is taken
  CHECK(group[3].status.code() == Code::kConflict);  // the id names another command
  CHECK(group[4].status.code() == Code::kNotFound);
  CHECK(grouped.All().size() == serial.All().size());
  CHECK(grouped.ledger->views().Digest().value() == serial.ledger->views().Digest().value());
}

TEST_CASE("A failed append fails every command of its group and leaves nothing behind",
          "[group-commit]") {
  constexpr int kCallers = 12;
  Opened o(true);
  RegisterMerchants(o);
  const auto records_before = o.All().size();
  const auto digest_before = o.ledger->views().Digest().value();
  o.log->fail_ = true;
  std::vector<Outcome> outcomes(kCallers * 2);
  std::vector<std::thread> callers;
  auto file = [&](int c, int n) {
    const std::string ref = fmt::format("fail-{}-{}", c, n);
    return o.Parse(C::FileComplaint, fb::Role::consumer, "u-1", Complaint(c % kMerchants, ref),
                   "id-" + ref);
  };
  // Parsed here: Catch's assertions (inside Parse) are not thread-safe.
  std::vector<std::vector<ParsedCommand>> calls;
  for (int c = 0; c < kCallers; ++c) {
    // A two-command call with an in-call retry, so a group holds replays too.
    calls.push_back({file(c, 0), file(c, 0)});
  }
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      auto out = o.ledger->Submit(calls[c]);
      outcomes[2 * c] = out[0];
      outcomes[2 * c + 1] = out[1];
    });
  }
  for (auto& t : callers) t.join();
  for (const auto& out : outcomes) {
    CHECK(out.status.code() == Code::kIoError);
    CHECK(out.status.message().find("injected fault") != std::string::npos);
    CHECK(out.result["code"] == "io_error");
    CHECK_FALSE(out.result.contains("events"));
    CHECK_FALSE(out.result.value("replayed", false));
  }
  CHECK(o.log->refused_ > 0);
  CHECK(o.All().size() == records_before);
  CHECK(o.ledger->views().Digest().value() == digest_before);
  // Nothing of the failed groups is remembered: the cases do not exist and
  // the ids are free, so the same calls succeed once the log is back.
  const std::string case_id = outcomes[0].result.value("case_id", "");
  CHECK(case_id.empty());
  CHECK_FALSE(o.ledger->KnowsCommand("id-fail-0-0").value());
  o.log->fail_ = false;
  size_t events = 0;
  for (int c = 0; c < kCallers; ++c) {
    auto out = o.ledger->Submit({file(c, 0), file(c, 0)});
    CHECK(out[0].status.ok());
    CHECK_FALSE(out[0].result.value("replayed", false));
    CHECK(out[1].result.value("replayed", false));
    events += out[0].result["events"].size();
  }
  CHECK(events >= kCallers);
  CHECK(o.All().size() == records_before + events);
  auto fresh = ViewStore::Open(o.dir + "/rebuild").value();
  REQUIRE(ApplyLog(o.ledger->log(), *fresh).ok());
  CHECK(fresh->Digest().value() == o.ledger->views().Digest().value());
}
