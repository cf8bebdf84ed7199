#include "projections/queries.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "projections/keys.h"
#include "projections/projector.h"
#include "projections/views.h"

namespace ledger {

namespace {

Result<int64_t> Indicator(const MerchantState& m, const std::string& name) {
  if (name == "unanswered") return m.unanswered;
  if (name == "unresolved") return m.unresolved;
  if (name == "delays") return static_cast<int64_t>(m.delays_active);
  if (name == "violations") return m.violations_l1 + m.violations_l2 + m.violations_l3;
  if (name == "complaints") return m.complaints;
  if (name == "open_complaints") return m.open_cases;
  if (name == "delays_total") return m.delays_total;
  if (name == "resolved") return m.resolved;
  return Status::InvalidArgument(
      fmt::format("unknown indicator '{}' (unanswered, unresolved, delays, violations, complaints, "
                  "open_complaints, delays_total, resolved)",
                  name));
}

}  // namespace

Result<nlohmann::json> RankMerchants(const ViewStore& views, const std::string& indicator,
                                     size_t limit, TimeMs now) {
  LEDGER_ASSIGN_OR_RETURN(auto rows, views.Scan(Cf::kMerchants, "", SIZE_MAX));
  std::vector<std::pair<int64_t, std::unique_ptr<MerchantState>>> ranked;
  for (const auto& [id, bytes] : rows) {
    LEDGER_ASSIGN_OR_RETURN(auto m, DecodeMerchantState(bytes));
    LEDGER_ASSIGN_OR_RETURN(int64_t v, Indicator(*m, indicator));
    ranked.emplace_back(v, std::move(m));
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < ranked.size() && i < limit; ++i) {
    nlohmann::json j = MerchantJson(*ranked[i].second, now);
    out.push_back({{"rank", i + 1},
                   {"merchant_id", j["merchant_id"]},
                   {"name", j["name"]},
                   {indicator, ranked[i].first},
                   {"status", j["status"]},
                   {"star_level", j["star_level"]}});
  }
  return out;
}

Result<nlohmann::json> OpenCases(const ViewStore& views, const std::string& status,
                                 const std::string& authority, bool list, size_t limit) {
  LEDGER_ASSIGN_OR_RETURN(auto rows,
                          views.Scan(Cf::kIndex, keys::OpenCasePrefix(status), SIZE_MAX));
  std::map<std::pair<std::string, std::string>, uint64_t> counts;
  nlohmann::json cases = nlohmann::json::array();
  for (const auto& [key, unused] : rows) {
    auto open = keys::ParseOpenCase(key);
    if (!open) return Status::Corruption("views: bad open-case index key");
    if (!authority.empty() && open->authority != authority) continue;
    ++counts[{open->status, open->authority}];
    if (list && cases.size() < limit) {
      cases.push_back(
          {{"case_id", open->case_id}, {"status", open->status}, {"authority", open->authority}});
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [k, n] : counts)
    out.push_back({{"status", k.first}, {"authority", k.second}, {"cases", n}});
  if (list) return nlohmann::json{{"counts", out}, {"cases", cases}};
  return out;
}

Result<nlohmann::json> MerchantSummaries(const ViewStore& views) {
  LEDGER_ASSIGN_OR_RETURN(auto rows, views.Scan(Cf::kMerchants, "", SIZE_MAX));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [id, bytes] : rows) {
    LEDGER_ASSIGN_OR_RETURN(auto m, DecodeMerchantState(bytes));
    out.push_back({{"merchant_id", m->merchant_id},
                   {"merchant", m->name},
                   {"complaints", m->complaints},
                   {"open", m->open_cases},
                   {"timely", m->cfpb_timely},
                   {"untimely", m->cfpb_untimely},
                   {"disputed", m->cfpb_disputed},
                   {"delays", m->delays_total},
                   {"unanswered", m->unanswered},
                   {"unresolved", m->unresolved},
                   {"status", fb::EnumNameMerchantStatus(m->status)}});
  }
  return out;
}

namespace {

// Imported CFPB complaints ("cfa/" counters) grouped by `pick`.
Result<nlohmann::json> CfpbAnalytics(const ViewStore& views, const std::vector<std::string>& dims,
                                     const std::vector<size_t>& pick, const std::string& from_month,
                                     const std::string& to_month) {
  LEDGER_ASSIGN_OR_RETURN(
      auto rows, views.Scan(Cf::kAnalytics, std::string(keys::kCfpbCountPrefix), SIZE_MAX));
  std::map<std::vector<std::string>, uint64_t> groups;
  for (const auto& [key, value] : rows) {
    auto found = keys::ParseCfpbCount(key);
    if (!found || found->size() != dims.size())
      return Status::Corruption("views: bad CFPB analytics key");
    const auto& parts = *found;
    if (!from_month.empty() && parts[0] < from_month) continue;
    if (!to_month.empty() && parts[0] > to_month) continue;
    std::vector<std::string> g;
    for (size_t i : pick) g.push_back(parts[i]);
    groups[g] += DecodeU64(value);
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [g, n] : groups) {
    nlohmann::json row;
    for (size_t i = 0; i < pick.size(); ++i) row[dims[pick[i]]] = g[i];
    row["complaints"] = n;
    out.push_back(row);
  }
  return out;
}

}  // namespace

Result<nlohmann::json> ComplaintAnalytics(const ViewStore& views,
                                          const std::vector<std::string>& by,
                                          const std::string& from_month,
                                          const std::string& to_month) {
  static const std::vector<std::string> kCfpbDims = {"month", "product", "issue",
                                                     "state", "channel", "company_response"};
  bool cfpb = !by.empty();
  bool month_only = true;
  std::vector<size_t> cfpb_pick;
  for (const auto& d : by) {
    auto it = std::find(kCfpbDims.begin(), kCfpbDims.end(), d);
    cfpb = cfpb && it != kCfpbDims.end();
    month_only = month_only && d == "month";
    if (it != kCfpbDims.end()) cfpb_pick.push_back(static_cast<size_t>(it - kCfpbDims.begin()));
  }
  if (cfpb && !month_only) return CfpbAnalytics(views, kCfpbDims, cfpb_pick, from_month, to_month);
  static const std::vector<std::string> kDims = {"month", "category", "authority", "region"};
  std::vector<size_t> pick;
  for (const auto& d : by) {
    auto it = std::find(kDims.begin(), kDims.end(), d);
    if (it == kDims.end()) {
      return Status::InvalidArgument(
          fmt::format("unknown dimension '{}' (month, category, authority, region; for imported "
                      "CFPB complaints: month, "
                      "product, issue, state, channel, company_response)",
                      d));
    }
    pick.push_back(static_cast<size_t>(it - kDims.begin()));
  }
  LEDGER_ASSIGN_OR_RETURN(auto rows,
                          views.Scan(Cf::kAnalytics, std::string(keys::kCountPrefix), SIZE_MAX));
  std::map<std::vector<std::string>, uint64_t> groups;
  uint64_t total = 0;
  for (const auto& [key, value] : rows) {
    auto found = keys::ParseCount(key);
    if (!found) return Status::Corruption("views: bad analytics key");
    const auto& parts = *found;
    if (!from_month.empty() && parts[0] < from_month) continue;
    if (!to_month.empty() && parts[0] > to_month) continue;
    std::vector<std::string> g;
    for (size_t i : pick) g.push_back(parts[i]);
    const uint64_t n = DecodeU64(value);
    groups[g] += n;
    total += n;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [g, n] : groups) {
    nlohmann::json row;
    for (size_t i = 0; i < pick.size(); ++i) row[kDims[pick[i]]] = g[i];
    row["complaints"] = n;
    row["share"] = total ? static_cast<double>(n) / static_cast<double>(total) : 0.0;
    out.push_back(row);
  }
  std::stable_sort(out.begin(), out.end(), [&](const auto& a, const auto& b) {
    if (!pick.empty() && pick[0] == 0) return false;  // by month: keep time order
    return a["complaints"].template get<uint64_t>() > b["complaints"].template get<uint64_t>();
  });
  return out;
}

Result<nlohmann::json> ResponseTimes(const ViewStore& views, const std::string& merchant_id) {
  const std::string prefix = keys::ResponseTimePrefix(merchant_id);
  LEDGER_ASSIGN_OR_RETURN(auto rows, views.Scan(Cf::kIndex, prefix, SIZE_MAX));
  // Keys sort by response time, so the n-th key is the n-th smallest.
  std::vector<double> hours;
  hours.reserve(rows.size());
  for (const auto& [key, unused] : rows) {
    hours.push_back(static_cast<double>(keys::ResponseTimeOf(key, prefix)) / kHourMs);
  }
  auto q = [&](double p) -> nlohmann::json {
    if (hours.empty()) return nullptr;
    const size_t i =
        std::min(hours.size() - 1, static_cast<size_t>(p * static_cast<double>(hours.size())));
    return hours[i];
  };
  return nlohmann::json{
      {"merchant_id", merchant_id.empty() ? nlohmann::json("*") : nlohmann::json(merchant_id)},
      {"responses", hours.size()},
      {"p50_hours", q(0.5)},
      {"p90_hours", q(0.9)},
      {"p99_hours", q(0.99)},
      {"max_hours", hours.empty() ? nlohmann::json() : nlohmann::json(hours.back())}};
}

Result<nlohmann::json> MerchantMonths(const ViewStore& views, const std::string& merchant_id,
                                      TimeMs until, int months) {
  if (months <= 0 || months > 120) {
    return Status::InvalidArgument(fmt::format("months must be 1..120, got {}", months));
  }
  const std::string last = FormatDate(until).substr(0, 7);
  int year = std::stoi(last.substr(0, 4));
  int month = std::stoi(last.substr(5, 2));
  std::vector<std::string> names(static_cast<size_t>(months));
  for (int i = months - 1; i >= 0; --i) {
    names[static_cast<size_t>(i)] = fmt::format("{:04}-{:02}", year, month);
    if (--month == 0) {
      month = 12;
      --year;
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& name : names) {
    nlohmann::json row{{"month", name}, {"complaints", 0}, {"delays", 0}, {"resolved", 0}};
    for (const char* kind : {"complaints", "delays", "resolved"}) {
      LEDGER_ASSIGN_OR_RETURN(auto v,
                              views.Get(Cf::kAnalytics, keys::Monthly(merchant_id, name, kind)));
      if (v) row[kind] = static_cast<int64_t>(DecodeU64(*v));
    }
    out.push_back(std::move(row));
  }
  return out;
}

Result<std::optional<std::string>> CaseForTrackingCode(const ViewStore& views,
                                                       const std::string& code) {
  return views.Get(Cf::kIndex, keys::Tracking(code));
}

}  // namespace ledger
