#include "app/workload/workload.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <unordered_set>

#include <fmt/format.h>

namespace ledger {

namespace {

using C = fb::Command;
using R = fb::Role;

enum class Behaviour { kPrompt, kLate, kSilent };

struct Action {
  Action(C t, R r, std::string a, std::string b)
      : type(t), role(r), actor(std::move(a)), body(std::move(b)) {}
  C type;
  R role;
  std::string actor;
  std::string body;
  std::string case_id;  // the simulated case this step belongs to, if any
};

const char* const kCategories[] = {
    "non_delivery",   "no_refund",   "no_after_sales", "not_as_agreed", "overpricing",
    "no_price_label", "counterfeit", "smuggled",       "no_invoice",    "forced_sale"};
// Rough shares: most complaints are contractual.
const double kCategoryWeights[] = {30, 22, 12, 16, 6, 3, 4, 1, 4, 2};
const char* const kRegions[] = {"Tehran", "Isfahan", "Mashhad", "Shiraz", "Tabriz",
                                "Karaj",  "Ahvaz",   "Qom",     "Kerman", "Rasht"};
const double kRegionWeights[] = {40, 9, 10, 7, 7, 8, 5, 4, 4, 6};
const char* const kStars[] = {"none", "legal", "star1", "star2", "star3", "star4", "star5"};

class Generator {
 public:
  Generator(Ledger& l, ManualClock& clock, const WorkloadOptions& o)
      : l_(l), clock_(clock), o_(o), rng_(o.seed) {}

  Result<WorkloadReport> Run(const std::function<void(uint64_t, uint64_t)>& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    LEDGER_ASSIGN_OR_RETURN(TimeMs start, ParseTime(o_.start));
    LEDGER_ASSIGN_OR_RETURN(TimeMs ledger_time, l_.LedgerTime());
    start = std::max(start, ledger_time);
    clock_.Set(start);
    SetUpMerchants(start);
    const TimeMs month = 30 * kDayMs;
    const TimeMs end = start + static_cast<TimeMs>(o_.months) * month;
    // Filings arrive as a Poisson process at the monthly rate; they are
    // drawn step by step (memory stays flat however long the run).
    std::exponential_distribution<double> gap(static_cast<double>(o_.complaints_per_month) /
                                              static_cast<double>(month));
    TimeMs next_filing = start + static_cast<TimeMs>(gap(rng_));
    std::uniform_int_distribution<uint32_t> pick(0, o_.merchants - 1);
    for (TimeMs t = start + month / 2; t < end; t += month) {
      for (uint32_t i = 0; i < o_.merchants / 100 + 1; ++i) {
        const uint32_t m = pick(rng_);
        Schedule(t + static_cast<TimeMs>(i) * 60000,
                 {C::RecordViolation, R::authority, "guild_organisation",
                  fmt::format(R"({{"merchant_id":"{}","level":{},"rule":"trust-symbol rule {}"}})",
                              MerchantId(m), 1 + static_cast<int>(rng_() % 3), rng_() % 20)});
      }
    }
    // About 7.5 events per filing (deadlines and decays included).
    const uint64_t estimate =
        merchants_.size() +
        static_cast<uint64_t>(7.5 * static_cast<double>(o_.complaints_per_month) *
                              static_cast<double>(o_.months));
    while (!queue_.empty() || next_filing < end) {
      const TimeMs filing = next_filing < end ? next_filing : std::numeric_limits<TimeMs>::max();
      const TimeMs first = queue_.empty() ? filing : std::min(queue_.begin()->first, filing);
      const TimeMs step_end = (first / o_.step + 1) * o_.step;
      for (; next_filing < end && next_filing < step_end;
           next_filing += static_cast<TimeMs>(gap(rng_)) + 1) {
        ScheduleComplaint(next_filing);
      }
      std::vector<std::pair<TimeMs, Action>> batch;
      while (!queue_.empty() && queue_.begin()->first < step_end) {
        batch.emplace_back(queue_.begin()->first, std::move(queue_.begin()->second));
        queue_.erase(queue_.begin());
      }
      clock_.Set(std::max(clock_.Now(), step_end));
      LEDGER_RETURN_IF_ERROR(SubmitBatch(batch));
      if (progress) progress(report_.events, estimate);
      if (o_.max_events && report_.events >= o_.max_events) break;
    }
    report_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return report_;
  }

 private:
  struct Merchant {
    Behaviour behaviour;
    double weight;
  };

  static std::string MerchantId(uint32_t i) { return fmt::format("m{:05}", i); }

  void Schedule(TimeMs at, Action a) {
    if (a.case_id.empty() && a.body.rfind(R"({"case_id":")", 0) == 0) {
      a.case_id = a.body.substr(12, a.body.find('"', 12) - 12);
    }
    queue_.emplace(at, std::move(a));
  }

  void SetUpMerchants(TimeMs start) {
    std::uniform_real_distribution<double> u(0, 1);
    double total = 0;
    for (uint32_t i = 0; i < o_.merchants; ++i) {
      // Zipf-like: the merchant of rank r gets weight 1 / r^1.1.
      const double w = 1.0 / std::pow(static_cast<double>(i + 1), 1.1);
      const double b = u(rng_);
      merchants_.push_back({b < 0.72   ? Behaviour::kPrompt
                            : b < 0.93 ? Behaviour::kLate
                                       : Behaviour::kSilent,
                            w});
      total += w;
    }
    double acc = 0;
    for (const auto& m : merchants_) cumulative_.push_back(acc += m.weight / total);
    for (uint32_t i = 0; i < o_.merchants; ++i) {
      if (l_.GetMerchant(MerchantId(i)).ok()) continue;  // a later run on the same ledger
      const TimeMs licence = start - static_cast<TimeMs>(30 + rng_() % 3000) * kDayMs;
      Schedule(
          start,
          {C::RegisterMerchant, R::operator_, "centre",
           fmt::format(
               R"({{"merchant_id":"{}","name":"Shop {}","licence_date":"{}","domains":["shop{}.ir"],)"
               R"("star_level":"{}","region":"{}"}})",
               MerchantId(i), i, FormatDate(licence), i, kStars[rng_() % 7],
               kRegions[rng_() % 10])});
    }
  }

  uint32_t PickMerchant() {
    const double x = std::uniform_real_distribution<double>(0, 1)(rng_);
    auto it = std::lower_bound(cumulative_.begin(), cumulative_.end(), x);
    return static_cast<uint32_t>(std::min<size_t>(it - cumulative_.begin(), merchants_.size() - 1));
  }

  template <size_t N>
  size_t Weighted(const double (&w)[N]) {
    std::discrete_distribution<size_t> d(std::begin(w), std::end(w));
    return d(rng_);
  }

  TimeMs Hours(double lo, double hi) {
    return static_cast<TimeMs>(std::uniform_real_distribution<double>(lo, hi)(rng_) *
                               static_cast<double>(kHourMs));
  }

  // One complaint's whole life, decided now and scheduled ahead; the ledger
  // refuses the steps its state no longer allows.
  void ScheduleComplaint(TimeMs t) {
    const uint32_t mi = PickMerchant();
    const std::string m = MerchantId(mi);
    const uint64_t n = ++complaint_seq_;
    const std::string id = fmt::format("S{}-{:09}", o_.seed, n);
    const std::string consumer = fmt::format("u{}", rng_() % 5'000'000);
    const int64_t amount = static_cast<int64_t>(50'000 + rng_() % 50'000'000);
    Schedule(
        t,
        {C::FileComplaint, R::consumer, consumer,
         fmt::format(
             R"({{"case_id":"{}","merchant_id":"{}","consumer_id":"{}","reference_number":"RF{}",)"
             R"("terminal":"T{}","purchase_date":"{}","amount":{},"invoice_number":"INV{}",)"
             R"("category":"{}","channel":"{}","region":"{}"}})",
             id, m, consumer, id, mi % 97,
             FormatDate(t - static_cast<TimeMs>(1 + rng_() % 20) * kDayMs), amount, n,
             kCategories[Weighted(kCategoryWeights)],
             (const char*[]){"web", "app", "qr", "social"}[rng_() % 4],
             kRegions[Weighted(kRegionWeights)])});
    TimeMs at = t + Hours(0.5, 20);
    if (rng_() % 100 < 3) {
      Schedule(at, {C::RejectTransaction, R::operator_, "centre",
                    fmt::format(R"({{"case_id":"{}","reason":"bank: no such payment"}})", id)});
      return;
    }
    Schedule(at, {C::VerifyTransaction, R::operator_, "centre",
                  fmt::format(R"({{"case_id":"{}"}})", id)});
    const Behaviour b = merchants_[mi].behaviour;
    if (b == Behaviour::kSilent && rng_() % 100 < 80) return;  // never answered
    at += b == Behaviour::kPrompt ? Hours(1, 60) : Hours(75, 300);
    Schedule(at, {C::Respond, R::merchant, m,
                  fmt::format(R"({{"case_id":"{}","message":"answer"}})", id)});
    const unsigned next = rng_() % 100;
    at += Hours(2, 48);
    const std::string body = fmt::format(R"({{"case_id":"{}"}})", id);
    if (next < 55) {
      Schedule(at, {C::Accept, R::consumer, consumer, body});
      if (rng_() % 2)
        Schedule(at + Hours(1, 24),
                 {C::Rate, R::consumer, consumer,
                  fmt::format(R"({{"case_id":"{}","rating":{}}})", id, 1 + rng_() % 5)});
      return;
    }
    if (next < 65) {
      Schedule(at, {C::Withdraw, R::consumer, consumer, body});
      return;
    }
    if (next < 75) {
      Schedule(at, {C::Reply, R::consumer, consumer,
                    fmt::format(R"({{"case_id":"{}","message":"not enough"}})", id)});
      at += b == Behaviour::kPrompt ? Hours(1, 60) : Hours(75, 200);
      Schedule(at, {C::Respond, R::merchant, m,
                    fmt::format(R"({{"case_id":"{}","message":"second answer"}})", id)});
      at += Hours(2, 48);
      Schedule(at, {C::Accept, R::consumer, consumer, body});
      return;
    }
    const bool arbitration = rng_() % 100 < 40;
    if (arbitration) {
      Schedule(at, {C::Escalate, R::consumer, consumer,
                    fmt::format(R"({{"case_id":"{}","forum":"arbitration","fee_rate_percent":{}}})",
                                id, 2 + rng_() % 19)});
      at += Hours(4, 100);  // a defence if within 72 h, else the deadline passes first
      Schedule(at, {C::FileDefence, R::merchant, m,
                    fmt::format(R"({{"case_id":"{}","statement":"defence"}})", id)});
      at += Hours(24, 200);
    } else {
      Schedule(at, {C::Escalate, R::consumer, consumer,
                    fmt::format(R"({{"case_id":"{}","forum":"mediation"}})", id)});
      at += Hours(24, 300);
    }
    const bool for_consumer = rng_() % 100 < 60;
    Schedule(at,
             {C::IssueVerdict, R::operator_, "centre",
              fmt::format(R"({{"case_id":"{}","in_favour_of":"{}","remedy":"refund","amount":{}}})",
                          id, for_consumer ? "consumer" : "merchant", for_consumer ? amount : 0)});
    if (for_consumer && rng_() % 100 < 78) {
      Schedule(at + Hours(1, 160), {C::CarryOutRemedy, R::consumer, consumer, body});
    }
  }

  Status SubmitBatch(std::vector<std::pair<TimeMs, Action>>& batch) {
    std::vector<ParsedCommand> parsed;
    std::vector<std::string> filed;
    parsed.reserve(batch.size());
    // The later steps of a complaint whose filing was refused never happen.
    std::erase_if(batch, [&](const auto& item) {
      return !item.second.case_id.empty() && item.second.type != C::FileComplaint &&
             dead_.count(item.second.case_id);
    });
    for (auto& [at, a] : batch) {
      filed.push_back(a.type == C::FileComplaint ? a.case_id : std::string());
      auto p = l_.codec().ParseBody(
          a.type, a.body, fmt::format("sim-{}-{}", o_.seed, ++command_seq_), a.role, a.actor);
      if (!p.ok())
        return Status::InvalidArgument("simulate built a bad command: " + p.status().message());
      parsed.push_back(std::move(p.value()));
    }
    auto outcomes = l_.Submit(parsed);
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const Outcome& o = outcomes[i];
      if (!o.status.ok() && !filed[i].empty()) dead_.insert(filed[i]);
      ++report_.commands;
      if (o.status.ok()) {
        ++report_.accepted;
        report_.events += o.result.value("events", nlohmann::json::array()).size();
        if (o.result.value("command", "") == "FileComplaint") ++report_.complaints;
      } else if (o.status.code() == Code::kIoError || o.status.code() == Code::kCorruption ||
                 o.status.code() == Code::kUnavailable) {
        return o.status;
      } else {
        ++report_.refused;
        ++report_.refusals[o.result.value("command", "?") + ": " + CodeName(o.status.code())];
      }
    }
    return Status::Ok();
  }

  Ledger& l_;
  ManualClock& clock_;
  const WorkloadOptions& o_;
  std::mt19937_64 rng_;
  std::vector<Merchant> merchants_;
  std::vector<double> cumulative_;
  std::multimap<TimeMs, Action> queue_;
  uint64_t complaint_seq_ = 0, command_seq_ = 0;
  std::unordered_set<std::string> dead_;
  WorkloadReport report_;
};

}  // namespace

nlohmann::json WorkloadReport::ToJson() const {
  return {{"commands", commands},
          {"accepted", accepted},
          {"refused", refused},
          {"events_from_commands", events},
          {"complaints", complaints},
          {"seconds", seconds},
          {"commands_per_s", seconds > 0 ? static_cast<double>(commands) / seconds : 0},
          {"refusals", refusals}};
}

Result<WorkloadReport> RunWorkload(Ledger& ledger, ManualClock& clock,
                                   const WorkloadOptions& options,
                                   const std::function<void(uint64_t, uint64_t)>& progress) {
  if (options.merchants == 0)
    return Status::InvalidArgument("simulate: --merchants must be positive");
  Generator g(ledger, clock, options);
  return g.Run(progress);
}

}  // namespace ledger
