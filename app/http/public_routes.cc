// Routes without login: a merchant's public profile (JSON and the HTML
// page), its monthly series, complaint tracking by code, and /healthz.
#include <fmt/format.h>

#include "app/http/api.h"
#include "app/http/profile_page.h"
#include "app/http/qr.h"
#include "projections/queries.h"
#include "projections/views.h"
#include "replay/replay.h"

namespace ledger::http {

namespace {

constexpr int kMonths = 12;

// The profile now, or as of ?as_of= (folded from the log).
Result<nlohmann::json> Profile(Api& api, const Call& call, const std::string& merchant_id) {
  if (call.req.has_param("as_of")) {
    const std::string text = call.req.get_param_value("as_of");
    auto t = ParseTime(text);
    if (!t.ok()) return Status::InvalidArgument("query parameter as_of: " + t.status().message());
    LEDGER_ASSIGN_OR_RETURN(
        auto m, MerchantAsOf(api.ledger.log(), api.ledger.views(), merchant_id, t.value()));
    return MerchantJson(*m, t.value());
  }
  LEDGER_ASSIGN_OR_RETURN(auto m, api.ledger.GetMerchant(merchant_id));
  return MerchantJson(*m, api.ledger.clock().Now());
}

void GetMerchant(Api& api, Call& call) {
  auto p = Profile(api, call, call.Param(0));
  if (!p.ok()) return SendStatus(call, p.status());
  SendJson(call, 200, p.value());
}

void GetMonths(Api& api, Call& call) {
  auto m = api.ledger.GetMerchant(call.Param(0));
  if (!m.ok()) return SendStatus(call, m.status());
  auto months =
      MerchantMonths(api.ledger.views(), call.Param(0), api.ledger.clock().Now(), kMonths);
  if (!months.ok()) return SendStatus(call, months.status());
  SendJson(call, 200, {{"merchant_id", call.Param(0)}, {"months", months.value()}});
}

void GetPage(Api& api, Call& call) {
  std::string lang = call.req.has_param("lang") ? call.req.get_param_value("lang") : "fa";
  if (lang != "fa" && lang != "en") {
    return SendError(call, 400, "invalid_argument", fmt::format("lang '{}': fa or en", lang));
  }
  auto p = Profile(api, call, call.Param(0));
  if (!p.ok()) return SendStatus(call, p.status());
  auto months =
      MerchantMonths(api.ledger.views(), call.Param(0), api.ledger.clock().Now(), kMonths);
  if (!months.ok()) return SendStatus(call, months.status());
  call.res.status = 200;
  call.res.set_content(RenderProfilePage(p.value(), months.value(), lang),
                       "text/html; charset=utf-8");
}

Result<std::unique_ptr<CaseState>> Tracked(Api& api, const std::string& code) {
  if (code.size() > 32) return Status::InvalidArgument("tracking code is too long");
  LEDGER_ASSIGN_OR_RETURN(auto id, CaseForTrackingCode(api.ledger.views(), code));
  if (!id) return Status::NotFound(fmt::format("no complaint has tracking code {}", code));
  return api.ledger.GetCase(*id);
}

void GetTrack(Api& api, Call& call) {
  auto c = Tracked(api, call.Param(0));
  if (!c.ok()) return SendStatus(call, c.status());
  const CaseState& s = *c.value();
  const nlohmann::json full = CaseJson(s);
  // What the public may see: no consumer, no transaction, no messages.
  nlohmann::json j{{"tracking_code", s.tracking_code}, {"merchant_id", s.merchant_id}};
  for (const char* k :
       {"status", "category", "authority", "filed_at", "accepted_at", "deadline", "closed_at"}) {
    j[k] = full[k];
  }
  auto m = api.ledger.GetMerchant(s.merchant_id);
  if (m.ok()) j["merchant_name"] = m.value()->name;
  SendJson(call, 200, j);
}

void GetTrackQr(Api& api, Call& call) {
  auto c = Tracked(api, call.Param(0));
  if (!c.ok()) return SendStatus(call, c.status());
  auto svg = QrSvg(fmt::format("{}/v1/track/{}", api.PublicUrl(), c.value()->tracking_code));
  if (!svg.ok()) return SendStatus(call, svg.status());
  call.res.status = 200;
  call.res.set_content(svg.value(), "image/svg+xml");
}

void GetHealth(Api& api, Call& call) {
  for (PartitionId p = 0; p < api.ledger.log().partitions(); ++p) {
    auto end = api.ledger.log().EndOffset(p);
    if (!end.ok()) return SendError(call, 503, "unavailable", "log: " + end.status().message());
  }
  SendJson(call, 200,
           {{"status", "ok"},
            {"log", api.ledger.log().Describe()},
            {"policy", api.ledger.policy().version}});
}

}  // namespace

std::vector<Route> PublicRoutes() {
  return {
      {{"GET", "/v1/merchants/{merchant_id}", Access::kPublic}, &GetMerchant},
      {{"GET", "/v1/merchants/{merchant_id}/months", Access::kPublic}, &GetMonths},
      {{"GET", "/merchants/{merchant_id}", Access::kPublic}, &GetPage},
      {{"GET", "/v1/track/{code}", Access::kPublic}, &GetTrack},
      {{"GET", "/v1/track/{code}/qr.svg", Access::kPublic}, &GetTrackQr},
      {{"GET", "/healthz", Access::kPublic}, &GetHealth},
  };
}

}  // namespace ledger::http
