// GET routes over the views and the log: a case and its history (its
// parties and the operator), rankings and analytics (authorities and the
// operator), /metrics (the operator).
#include <fmt/format.h>

#include "app/http/api.h"
#include "app/ledger/key_store.h"
#include "projections/keys.h"
#include "projections/queries.h"
#include "projections/views.h"
#include "replay/event_json.h"
#include "replay/history.h"

namespace ledger::http {

namespace {

constexpr size_t kMaxLimit = 1000;

// A positive integer query parameter, or `fallback` when absent.
Result<size_t> SizeParam(const Call& call, const char* name, size_t fallback, size_t max) {
  if (!call.req.has_param(name)) return fallback;
  const std::string v = call.req.get_param_value(name);
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(v) == 0 || std::stoul(v) > max) {
    return Status::InvalidArgument(
        fmt::format("query parameter {}='{}': expected 1..{}", name, v, max));
  }
  return static_cast<size_t>(std::stoul(v));
}

nlohmann::json CaseView(const CaseState& c) {
  nlohmann::json j = CaseJson(c);
  j["tracking_code"] = c.tracking_code.empty() ? nlohmann::json() : nlohmann::json(c.tracking_code);
  return j;
}

// Consumers' names and phones are for the operator's eyes only.
const ConsumerKeys* KeysFor(const Api& api, const Call& call) {
  return MaySeePersonalData(call.who->role) ? api.ledger.keys() : nullptr;
}

void GetCase(Api& api, Call& call) {
  auto c = CaseFor(api, call, call.Param(0));
  if (!c) return;
  nlohmann::json j = CaseView(*c);
  RevealPersonalData(j, c->consumer_id, c->consumer_name_sealed, c->consumer_phone_sealed,
                     KeysFor(api, call));
  SendJson(call, 200, j);
}

void GetHistory(Api& api, Call& call) {
  auto c = CaseFor(api, call, call.Param(0));
  if (!c) return;
  EventJson renderer(KeysFor(api, call));
  auto h = CaseHistory(api.ledger.log(), api.ledger.views(), call.Param(0), renderer);
  if (!h.ok()) return SendStatus(call, h.status());
  nlohmann::json out = nlohmann::json::array();
  for (auto& e : h.value()) {
    e.event.erase("prev_hash");
    e.event.erase("command_digest");
    out.push_back({{"partition", e.position.partition},
                   {"offset", e.position.offset},
                   {"event", e.event},
                   {"state_after", e.state_after}});
  }
  SendJson(call, 200, {{"case_id", call.Param(0)}, {"events", out}});
}

void GetRankings(Api& api, Call& call) {
  if (!RequireRole(call, Overview::kRankings)) return;
  auto limit = SizeParam(call, "limit", 20, kMaxLimit);
  if (!limit.ok()) return SendStatus(call, limit.status());
  const std::string by = call.req.has_param("by") ? call.req.get_param_value("by") : "unanswered";
  auto r = RankMerchants(api.ledger.views(), by, limit.value(), api.ledger.clock().Now());
  if (!r.ok()) return SendStatus(call, r.status());
  SendJson(call, 200, {{"by", by}, {"merchants", r.value()}});
}

void GetAnalytics(Api& api, Call& call) {
  if (!RequireRole(call, Overview::kAnalytics)) return;
  std::vector<std::string> by;
  const std::string dims = call.req.has_param("by") ? call.req.get_param_value("by") : "month";
  for (size_t start = 0; start <= dims.size();) {
    const size_t comma = std::min(dims.find(',', start), dims.size());
    by.push_back(dims.substr(start, comma - start));
    start = comma + 1;
  }
  auto month = [&](const char* name) -> Result<std::string> {
    if (!call.req.has_param(name)) return std::string();
    std::string v = call.req.get_param_value(name);
    if (v.size() != 7 || !ParseTime(v + "-01").ok()) {
      return Status::InvalidArgument(
          fmt::format("query parameter {}='{}': expected YYYY-MM", name, v));
    }
    return v;
  };
  auto from = month("from_month");
  auto to = month("to_month");
  if (!from.ok() || !to.ok()) return SendStatus(call, from.ok() ? to.status() : from.status());
  auto r = ComplaintAnalytics(api.ledger.views(), by, from.value(), to.value());
  if (!r.ok()) return SendStatus(call, r.status());
  SendJson(call, 200, {{"by", by}, {"rows", r.value()}});
}

void GetMetrics(Api& api, Call& call) {
  if (!RequireRole(call, Overview::kMetrics)) return;
  std::string g;
  g += "# HELP ledger_projection_lag_records Records in the log the views have not applied, per "
       "partition.\n";
  g += "# TYPE ledger_projection_lag_records gauge\n";
  EventLog& log = api.ledger.log();
  for (PartitionId p = 0; p < log.partitions(); ++p) {
    auto end = log.EndOffset(p);
    auto next = api.ledger.views().NextOffset(p);
    if (!end.ok() || !next.ok()) return SendStatus(call, end.ok() ? next.status() : end.status());
    g += fmt::format("ledger_projection_lag_records{{partition=\"{}\"}} {}\n", p,
                     end.value() > next.value() ? end.value() - next.value() : 0);
  }
  // Timers due by now and not fired yet (the timekeeper's backlog), capped.
  constexpr size_t kCap = 100000;
  auto due = api.ledger.views().KeysBetween(Cf::kTimers, "",
                                            keys::TimersFrom(api.ledger.clock().Now() + 1), kCap);
  if (!due.ok()) return SendStatus(call, due.status());
  g += "# HELP ledger_timers_due Timers due by now and not yet fired (capped at 100000).\n";
  g += "# TYPE ledger_timers_due gauge\n";
  g += fmt::format("ledger_timers_due {}\n", due.value().size());
  g += "# HELP ledger_event_streams Open /v1/events streams.\n# TYPE ledger_event_streams gauge\n";
  g += fmt::format("ledger_event_streams {}\n", api.open_streams.load());
  call.res.status = 200;
  call.res.set_content(api.metrics.Render(g), "text/plain; version=0.0.4");
}

}  // namespace

std::vector<Route> QueryRoutes() {
  return {
      {{"GET", "/v1/complaints/{case_id}", Access::kToken}, &GetCase},
      {{"GET", "/v1/complaints/{case_id}/history", Access::kToken}, &GetHistory},
      {{"GET", "/v1/rankings", Access::kToken}, &GetRankings},
      {{"GET", "/v1/analytics", Access::kToken}, &GetAnalytics},
      {{"GET", "/metrics", Access::kToken}, &GetMetrics},
  };
}

}  // namespace ledger::http
