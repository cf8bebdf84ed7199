#include "app/cli/demo.h"

#include <filesystem>

#include <fmt/format.h>

#include <sodium.h>
#include "app/cli/output.h"
#include "app/ledger/service.h"
#include "app/workload/workload.h"
#include "projections/queries.h"
#include "projections/views.h"

#include "events/codec.h"
#include "events/open_log.h"
#include "replay/event_json.h"
#include "replay/history.h"
#include "replay/replay.h"

namespace ledger {

namespace {

class Demo {
 public:
  Demo(Ledger& ledger, ManualClock& clock, bool json, std::string scratch)
      : l_(ledger), clock_(clock), json_(json), scratch_(std::move(scratch)) {}

  // Runs one command as `who`; returns its result (case id etc.).
  nlohmann::json Do(fb::Command type, fb::Role role, const std::string& who,
                    const std::string& body, bool expect_ok = true) {
    auto parsed = l_.codec().ParseBody(type, body, fmt::format("demo-{}", ++seq_), role, who);
    if (!parsed.ok()) throw std::runtime_error(parsed.status().ToString());
    Outcome o = l_.SubmitOne(parsed.value());
    if (o.status.ok() != expect_ok) {
      throw std::runtime_error(fmt::format("demo: {} {}: {}", CommandName(type),
                                           expect_ok ? "failed" : "unexpectedly succeeded",
                                           o.result.dump()));
    }
    Say(fmt::format("{:<20} {:<10} {}", FormatTime(clock_.Now()), RoleName(role),
                    o.status.ok() ? Events(o.result) : "REFUSED: " + o.status.message()));
    return o.result;
  }

  void Advance(TimeMs d, const char* why) {
    clock_.Advance(d);
    auto n = l_.Tick();
    if (!n.ok()) throw std::runtime_error(n.status().ToString());
    Say(fmt::format("{:<20} {:<10} {} -> timekeeper appended {} event(s)", FormatTime(clock_.Now()),
                    "clock", why, n.value()));
  }

  void Heading(const std::string& h) { Say("\n== " + h); }

  void Say(const std::string& s) {
    if (!json_) fmt::print("{}\n", s);
  }

  void Profile(const std::string& merchant_id) {
    auto m = l_.GetMerchant(merchant_id);
    if (!m.ok()) throw std::runtime_error(m.status().ToString());
    nlohmann::json j = MerchantJson(*m.value(), clock_.Now());
    if (json_) {
      fmt::print("{}\n", nlohmann::json{{"merchant", j}}.dump());
      return;
    }
    fmt::print(
        "{:<14} {:<10} {:<9} unanswered={} unresolved={} delays={} violations={}/{}/{} "
        "complaints={} resolved={} licence_days={}\n",
        j["merchant_id"].get<std::string>(), j["status"].get<std::string>(),
        j["star_level"].get<std::string>(), m.value()->unanswered, m.value()->unresolved,
        m.value()->delays_active, m.value()->violations_l1, m.value()->violations_l2,
        m.value()->violations_l3, m.value()->complaints, m.value()->resolved,
        j["days_since_licence"].get<int64_t>());
  }

  void AsOf(const std::string& merchant_id, const std::string& when) {
    const TimeMs t = ParseTime(when).value();
    auto m = MerchantAsOf(l_.log(), l_.views(), merchant_id, t);
    if (!m.ok()) throw std::runtime_error(m.status().ToString());
    PrintObject(MerchantJson(*m.value(), t), json_ ? OutputFormat::kJson : OutputFormat::kTable);
  }

  void Verify() {
    auto r = ledger::Verify(l_.log(), l_.views(), scratch_, {});
    if (!r.ok()) throw std::runtime_error(r.status().ToString());
    PrintObject({{"verified_events", r->events}, {"digest", HexOf(r->live_digest)}},
                json_ ? OutputFormat::kJson : OutputFormat::kTable);
  }

  void History(const std::string& case_id) {
    EventJson renderer;
    auto h = CaseHistory(l_.log(), l_.views(), case_id, renderer);
    if (!h.ok()) throw std::runtime_error(h.status().ToString());
    PrintTimeline(h.value(), json_ ? OutputFormat::kJson : OutputFormat::kTable);
  }

 private:
  static std::string Events(const nlohmann::json& r) {
    std::string s = r.value("case_id", r.value("merchant_id", "")) + ":";
    for (const auto& e : r["events"]) s += " " + e.value("type", "");
    return s;
  }
  Ledger& l_;
  ManualClock& clock_;
  bool json_;
  std::string scratch_;
  int seq_ = 0;
};

std::string Complaint(const std::string& merchant, const std::string& consumer,
                      const std::string& ref, int64_t amount, const char* category,
                      const char* pay = "card_gateway") {
  return fmt::format(
      R"({{"merchant_id":"{}","consumer_id":"{}","reference_number":"{}","terminal":"T-{}",)"
      R"("purchase_date":"2026-01-02","amount":{},"invoice_number":"INV-{}","category":"{}",)"
      R"("payment_method":"{}","channel":"web","region":"Tehran"}})",
      merchant, consumer, ref, merchant, amount, ref, category, pay);
}

using C = fb::Command;
using R = fb::Role;
constexpr const char* kOperator = "centre";

// Registration, a complaint settled, bad input, and a merchant that ignores
// two complaints then answers late. Returns the ids of those two cases.
std::pair<std::string, std::string> ScriptNegotiation(Demo& d) {
  const std::string op = kOperator;
  d.Heading("Merchants holding the trust symbol are registered");
  d.Do(
      C::RegisterMerchant, R::operator_, op,
      R"({"merchant_id":"ava-shop","name":"Ava Online Store","licence_date":"2021-03-01","domains":["ava-shop.ir"],"star_level":"star2","region":"Tehran"})");
  d.Do(
      C::RegisterMerchant, R::operator_, op,
      R"({"merchant_id":"behsaz","name":"Behsaz Electronics","licence_date":"2023-06-15","domains":["behsaz.ir","behsaz.com"],"star_level":"star1","region":"Isfahan"})");
  d.Do(
      C::RegisterMerchant, R::operator_, op,
      R"({"merchant_id":"cyrus-books","name":"Cyrus Books","licence_date":"2025-09-01","domains":["cyrusbooks.ir"],"star_level":"none","region":"Shiraz"})");

  d.Heading("1. A complaint answered in time and accepted");
  auto c1 = d.Do(C::FileComplaint, R::consumer, "u-100",
                 Complaint("ava-shop", "u-100", "R-1001", 2400000, "non_delivery"));
  const std::string k1 = c1["case_id"];
  d.Do(C::VerifyTransaction, R::operator_, op, fmt::format(R"({{"case_id":"{}"}})", k1));
  d.Advance(20 * kHourMs, "20 h pass");
  d.Do(C::Respond, R::merchant, "ava-shop",
       fmt::format(R"({{"case_id":"{}","message":"Courier delayed; delivered tomorrow"}})", k1));
  d.Do(C::Accept, R::consumer, "u-100", fmt::format(R"({{"case_id":"{}"}})", k1));
  d.Do(C::Rate, R::consumer, "u-100", fmt::format(R"({{"case_id":"{}","rating":5}})", k1));

  d.Heading("Bad input is refused and writes nothing");
  d.Do(C::FileComplaint, R::consumer, "u-100",
       Complaint("ava-shop", "u-100", "R-1001", 2400000, "non_delivery"), false);
  d.Do(C::FileComplaint, R::consumer, "u-101",
       Complaint("ava-shop", "u-101", "R-1002", 90000, "no_refund", "cash"), false);
  d.Do(C::Accept, R::consumer, "u-100", fmt::format(R"({{"case_id":"{}"}})", k1), false);

  d.Heading("2. Behsaz ignores two complaints: 72 h, 48 h, 24 h windows pass");
  auto c2 = d.Do(C::FileComplaint, R::consumer, "u-200",
                 Complaint("behsaz", "u-200", "R-2001", 18500000, "not_as_agreed"));
  auto c3 = d.Do(C::FileComplaint, R::consumer, "u-201",
                 Complaint("behsaz", "u-201", "R-2002", 7300000, "no_after_sales"));
  const std::string k2 = c2["case_id"], k3 = c3["case_id"];
  d.Do(C::VerifyTransaction, R::operator_, op, fmt::format(R"({{"case_id":"{}"}})", k2));
  d.Do(C::VerifyTransaction, R::operator_, op, fmt::format(R"({{"case_id":"{}"}})", k3));
  d.Advance(73 * kHourMs, "72 h window ends");
  d.Advance(48 * kHourMs, "48 h window ends");
  d.Advance(24 * kHourMs, "24 h window ends");
  d.Profile("behsaz");

  d.Heading("Behsaz answers both, late; the suspension runs its course");
  d.Advance(3 * kDayMs, "3 days later");
  d.Do(C::Respond, R::merchant, "behsaz",
       fmt::format(R"({{"case_id":"{}","message":"We will repair it"}})", k3));
  d.Do(C::Respond, R::merchant, "behsaz",
       fmt::format(R"({{"case_id":"{}","message":"Refund offered"}})", k2));
  d.Profile("behsaz");
  d.Advance(4 * kDayMs, "4 days later");
  d.Profile("behsaz");
  return {k2, k3};
}

// The two cases escalated, a withdrawal, decay, and what auditors read.
void ScriptEscalations(Demo& d, const std::string& k2, const std::string& k3) {
  const std::string op = kOperator;
  d.Heading("3. Case 2 goes to arbitration; the verdict is not carried out");
  d.Do(C::Escalate, R::consumer, "u-200",
       fmt::format(R"({{"case_id":"{}","forum":"arbitration","fee_rate_percent":5}})", k2));
  d.Advance(30 * kHourMs, "30 h");
  d.Do(C::FileDefence, R::merchant, "behsaz",
       fmt::format(R"({{"case_id":"{}","statement":"The device was misused"}})", k2));
  d.Do(C::IssueVerdict, R::authority, "arbitration_board",
       fmt::format(
           R"({{"case_id":"{}","in_favour_of":"consumer","remedy":"refund","amount":18500000}})",
           k2));
  d.Advance(169 * kHourMs, "7 days for the remedy pass");
  d.Do(C::RecordViolation, R::authority, "guild_organisation",
       R"({"merchant_id":"behsaz","level":2,"rule":"no sales invoice"})");

  d.Heading("4. Case 3 is mediated and decided for the merchant");
  d.Do(C::DeclareSufficient, R::merchant, "behsaz", fmt::format(R"({{"case_id":"{}"}})", k3));
  d.Do(C::Escalate, R::consumer, "u-201",
       fmt::format(R"({{"case_id":"{}","forum":"mediation"}})", k3));
  d.Do(C::IssueVerdict, R::authority, "online_business_union",
       fmt::format(R"({{"case_id":"{}","in_favour_of":"merchant"}})", k3));

  d.Heading("5. A new shop: complaint withdrawn");
  auto c4 = d.Do(C::FileComplaint, R::consumer, "u-300",
                 Complaint("cyrus-books", "u-300", "R-3001", 450000, "overpricing"));
  d.Do(C::VerifyTransaction, R::operator_, op,
       fmt::format(R"({{"case_id":"{}"}})", c4["case_id"].get<std::string>()));
  d.Do(C::Withdraw, R::consumer, "u-300",
       fmt::format(R"({{"case_id":"{}","reason":"refund received"}})",
                   c4["case_id"].get<std::string>()));

  d.Heading("Indicators now");
  for (const char* m : {"ava-shop", "behsaz", "cyrus-books"}) d.Profile(m);

  d.Heading("Three months later: delays and the unanswered marks have decayed");
  d.Advance(92 * kDayMs, "92 days");
  for (const char* m : {"ava-shop", "behsaz", "cyrus-books"}) d.Profile(m);

  d.Heading("History of case " + k2 + " (ledger history " + k2 + ")");
  d.History(k2);

  d.Heading(
      "Behsaz's profile as it stood on 2026-01-13, folded from the log (ledger merchant behsaz "
      "--as-of 2026-01-13)");
  d.AsOf("behsaz", "2026-01-13");
  d.Heading("The log verified: hash chains and a rebuild equal to the live views (ledger verify)");
  d.Verify();
}

void Script(Demo& d) {
  const auto [k2, k3] = ScriptNegotiation(d);
  ScriptEscalations(d, k2, k3);
}

}  // namespace

namespace {

// The merchants with the most unanswered complaints, as the profile shows them.
void PrintWorst(Ledger& l, const nlohmann::json& worst, TimeMs now, bool json) {
  if (!json)
    fmt::print(
        "\n== The five merchants with the most unanswered complaints (ledger query rank --by "
        "unanswered)\n");
  for (const auto& row : worst) {
    auto m = l.GetMerchant(row["merchant_id"].get<std::string>());
    if (!m.ok()) continue;
    nlohmann::json p = MerchantJson(*m.value(), now);
    if (json) {
      fmt::print("{}\n", nlohmann::json{{"worst_merchant", p}}.dump());
    } else {
      fmt::print(
          "{:<8} {:<10} unanswered={:<3} unresolved={:<3} delays={:<3} violations={}/{}/{} "
          "complaints={}\n",
          p["merchant_id"].get<std::string>(), p["status"].get<std::string>(),
          p["unanswered"].dump(), p["unresolved"].dump(), p["delays"].dump(),
          p["violations"]["level1"].dump(), p["violations"]["level2"].dump(),
          p["violations"]["level3"].dump(), p["complaints"].dump());
    }
  }
}

// The top problem category of each month.
void PrintTopCategories(const nlohmann::json& months_by_category, bool json) {
  std::map<std::string, std::pair<std::string, uint64_t>> top;
  for (const auto& row : months_by_category) {
    auto& t = top[row["month"].get<std::string>()];
    if (row["complaints"].get<uint64_t>() > t.second)
      t = {row["category"].get<std::string>(), row["complaints"].get<uint64_t>()};
  }
  if (!json)
    fmt::print("\n== Top problem category by month (ledger query analytics --by month,category)\n");
  for (const auto& [month, t] : top) {
    if (json) {
      fmt::print(
          "{}\n",
          nlohmann::json{{"month", month}, {"top_category", t.first}, {"complaints", t.second}}
              .dump());
    } else {
      fmt::print("{}  {:<16} {}\n", month, t.first, t.second);
    }
  }
}

// A year at eNamad scale through the real command path, then what auditors
// and analysts read from it.
int RunYear(const std::filesystem::path& dir, const std::string& log_uri, uint32_t months,
            bool json) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  ManualClock clock(0);
  LedgerOptions o;
  o.data_dir = dir.string();
  o.log_uri = log_uri;
  auto ledger = Ledger::Open(o, clock);
  if (!ledger.ok()) {
    fmt::print(stderr, "error: {}\n", ledger.status().ToString());
    return 1;
  }
  Ledger& l = *ledger.value();
  WorkloadOptions w;
  w.months = months;
  if (!json) {
    fmt::print(
        "\n== {} months at eNamad scale: {} merchants, {} complaints a month (ledger simulate), "
        "into {}\n",
        w.months, w.merchants, w.complaints_per_month, l.log().Describe());
  }
  ProgressPrinter progress("simulate");
  auto r = RunWorkload(l, clock, w, [&](uint64_t done, uint64_t total) { progress(done, total); });
  progress.Finish();
  if (!r.ok()) {
    fmt::print(stderr, "error: {}\n", r.status().ToString());
    return 1;
  }
  auto v = Verify(l.log(), l.views(), (dir / "verify-scratch").string(), {});
  if (!v.ok()) {
    fmt::print(stderr, "error: {}\n", v.status().ToString());
    return 1;
  }
  auto worst = RankMerchants(l.views(), "unanswered", 5, clock.Now());
  auto months_by_category = ComplaintAnalytics(l.views(), {"month", "category"}, "", "");
  if (!worst.ok() || !months_by_category.ok()) {
    fmt::print(stderr, "error: {}\n",
               (worst.ok() ? months_by_category.status() : worst.status()).ToString());
    return 1;
  }
  nlohmann::json summary = r->ToJson();
  summary["verified_events"] = v->events;
  summary["digest"] = HexOf(v->live_digest);
  PrintObject(summary, json ? OutputFormat::kJson : OutputFormat::kTable);
  PrintWorst(l, worst.value(), clock.Now(), json);
  PrintTopCategories(months_by_category.value(), json);
  if (!json)
    fmt::print("\nExplore it: ledger --data {} query rank --by delays_total\n", dir.string());
  return 0;
}

}  // namespace

int RunDemo(const std::string& data_dir, const std::string& log_uri, bool json, uint32_t months) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(data_dir) / "demo";
  std::error_code ec;
  fs::remove_all(dir, ec);
  ManualClock clock(ParseTime("2026-01-05T09:00:00Z").value());
  LedgerOptions o;
  o.data_dir = dir.string();
  if (!log_uri.empty() && log_uri != "embedded") {
    auto k = ParseKafkaUri(log_uri);
    if (!k.ok()) {
      fmt::print(stderr, "error: {}\n", k.status().ToString());
      return 1;
    }
    uint8_t r[4];
    randombytes_buf(r, sizeof r);
    o.log_uri = fmt::format("kafka://{}/{}.demo-{}", k->bootstrap, k->topic, HexOf(r, sizeof r));
  }
  auto ledger = Ledger::Open(o, clock);
  if (!ledger.ok()) {
    fmt::print(stderr, "error: {}\n", ledger.status().ToString());
    return 1;
  }
  if (!json) {
    fmt::print("Demo ledger in {} (log {}, policy {}, clock starts {})\n", dir.string(),
               ledger.value()->log().Describe(), ledger.value()->policy().version,
               FormatTime(clock.Now()));
  }
  try {
    Demo d(*ledger.value(), clock, json, (dir / "verify-scratch").string());
    Script(d);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  if (!json) {
    fmt::print("\nExplore it: ledger --data {}{} merchant behsaz | history CASE | case CASE\n",
               dir.string(), o.log_uri.empty() ? "" : " --log " + o.log_uri);
  }
  if (months == 0) return 0;
  return RunYear(std::filesystem::path(data_dir) / "demo-year", o.log_uri, months, json);
}

}  // namespace ledger
