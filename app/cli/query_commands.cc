// The analysts' queries over the views: merchants ranked by an indicator,
// open cases, complaint analytics, response times, merchant summaries.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/cli/cli.h"
#include "projections/queries.h"

namespace ledger::cli {
namespace {

struct QueryArgs {
  std::string indicator = "unanswered";
  size_t limit = 20;
  std::string status, authority, merchant, from_month, to_month;
  std::vector<std::string> by = {"month"};
  bool list = false;
};

void PrintRows(const nlohmann::json& rows, OutputFormat format) {
  if (format == OutputFormat::kJson || !rows.is_array() || rows.empty()) {
    fmt::print("{}\n", rows.dump());
    return;
  }
  std::vector<std::string> cols;
  for (auto it = rows[0].begin(); it != rows[0].end(); ++it) cols.push_back(it.key());
  std::vector<size_t> width(cols.size());
  auto cell = [](const nlohmann::json& v) {
    return v.is_string() ? v.get<std::string>() : v.is_null() ? "-" : v.dump();
  };
  for (size_t c = 0; c < cols.size(); ++c) {
    width[c] = cols[c].size();
    for (const auto& r : rows)
      width[c] = std::max(width[c], cell(r.value(cols[c], nlohmann::json())).size());
  }
  for (size_t c = 0; c < cols.size(); ++c) fmt::print("{:<{}}  ", cols[c], width[c]);
  fmt::print("\n");
  for (const auto& r : rows) {
    for (size_t c = 0; c < cols.size(); ++c)
      fmt::print("{:<{}}  ", cell(r.value(cols[c], nlohmann::json())), width[c]);
    fmt::print("\n");
  }
}

int RunQuery(const Globals& g, const std::string& what, const QueryArgs& q) {
  auto clock = MakeClock(g);
  if (!clock.ok()) return Fail(clock.status());
  auto ledger = OpenLedger(g, *clock.value());
  if (!ledger.ok()) return Fail(ledger.status());
  const ViewStore& views = ledger.value()->views();
  Result<nlohmann::json> r = Status::InvalidArgument("unknown query " + what);
  if (what == "rank") r = RankMerchants(views, q.indicator, q.limit, clock.value()->Now());
  if (what == "open") r = OpenCases(views, q.status, q.authority, q.list, q.limit);
  if (what == "analytics") r = ComplaintAnalytics(views, q.by, q.from_month, q.to_month);
  if (what == "response-times") r = ResponseTimes(views, q.merchant);
  if (what == "merchants") r = MerchantSummaries(views);
  if (!r.ok()) return Fail(r.status());
  if (r->is_object() && r->contains("counts")) {
    PrintRows((*r)["counts"], Format(g));
    PrintRows((*r)["cases"], Format(g));
  } else if (r->is_object()) {
    PrintObject(*r, Format(g));
  } else {
    PrintRows(*r, Format(g));
  }
  return 0;
}

}  // namespace

void AddQueryCommands(CLI::App& app, Globals& g, int& rc) {
  auto q = std::make_shared<QueryArgs>();
  auto* query = app.add_subcommand("query", "Queries for analysts");
  query->require_subcommand(1);
  auto* rank = query->add_subcommand("rank", "Merchants ranked by an indicator");
  rank->add_option("--by", q->indicator,
                   "unanswered, unresolved, delays, violations, complaints, open_complaints, "
                   "delays_total, resolved")
      ->capture_default_str();
  rank->add_option("--limit", q->limit)->capture_default_str();
  rank->callback([&g, &rc, q] { rc = RunQuery(g, "rank", *q); });
  auto* open = query->add_subcommand("open", "Open cases by state and authority");
  open->add_option("--state", q->status, "Only this state (e.g. awaiting_response)");
  open->add_option("--authority", q->authority, "Only this authority");
  open->add_flag("--list", q->list, "List the case ids too");
  open->add_option("--limit", q->limit)->capture_default_str();
  open->callback([&g, &rc, q] { rc = RunQuery(g, "open", *q); });
  auto* analytics = query->add_subcommand(
      "analytics", "Accepted complaints by month, category, authority, region");
  analytics
      ->add_option("--by", q->by,
                   "Dimensions: month, category, authority, region; for imported CFPB "
                   "complaints: month, product, issue, state, channel, company_response")
      ->delimiter(',');
  analytics->add_option("--from-month", q->from_month, "YYYY-MM");
  analytics->add_option("--to-month", q->to_month, "YYYY-MM");
  analytics->callback([&g, &rc, q] { rc = RunQuery(g, "analytics", *q); });
  auto* rt = query->add_subcommand("response-times",
                                   "First-response time percentiles, of a merchant or of all");
  rt->add_option("--merchant", q->merchant);
  rt->callback([&g, &rc, q] { rc = RunQuery(g, "response-times", *q); });
  auto* merchants = query->add_subcommand(
      "merchants", "Every merchant: complaints, open, timely, untimely, disputed");
  merchants->callback([&g, &rc, q] { rc = RunQuery(g, "merchants", *q); });
}

}  // namespace ledger::cli
