// POST routes: one per command type. The body is the command's JSON as the
// CLI takes it (app/cli/main.cc, schemas/commands.fbs); the id in the path is
// put into the body when the body leaves it out, and must match when it
// does not. The actor comes from the token; Idempotency-Key becomes the
// command id, scoped to the caller.
#include <chrono>

#include <fmt/format.h>

#include "app/http/api.h"
#include "app/http/qr.h"
#include "engine/decide.h"

namespace ledger::http {

namespace {

enum class PathId { kNone, kCase, kMerchant };

struct CommandRoute {
  const char* path;
  fb::Command type;
  PathId id;
};

constexpr CommandRoute kCommands[] = {
    {"/v1/merchants", fb::Command::RegisterMerchant, PathId::kNone},
    {"/v1/merchants/{merchant_id}/star-level", fb::Command::ChangeStarLevel, PathId::kMerchant},
    {"/v1/merchants/{merchant_id}/violations", fb::Command::RecordViolation, PathId::kMerchant},
    {"/v1/merchants/{merchant_id}/suspend", fb::Command::SuspendMerchant, PathId::kMerchant},
    {"/v1/merchants/{merchant_id}/reinstate", fb::Command::ReinstateMerchant, PathId::kMerchant},
    {"/v1/complaints", fb::Command::FileComplaint, PathId::kNone},
    {"/v1/complaints/{case_id}/verify-transaction", fb::Command::VerifyTransaction, PathId::kCase},
    {"/v1/complaints/{case_id}/reject-transaction", fb::Command::RejectTransaction, PathId::kCase},
    {"/v1/complaints/{case_id}/respond", fb::Command::Respond, PathId::kCase},
    {"/v1/complaints/{case_id}/reply", fb::Command::Reply, PathId::kCase},
    {"/v1/complaints/{case_id}/accept", fb::Command::Accept, PathId::kCase},
    {"/v1/complaints/{case_id}/declare-sufficient", fb::Command::DeclareSufficient, PathId::kCase},
    {"/v1/complaints/{case_id}/escalate", fb::Command::Escalate, PathId::kCase},
    {"/v1/complaints/{case_id}/defence", fb::Command::FileDefence, PathId::kCase},
    {"/v1/complaints/{case_id}/verdict", fb::Command::IssueVerdict, PathId::kCase},
    {"/v1/complaints/{case_id}/remedy", fb::Command::CarryOutRemedy, PathId::kCase},
    {"/v1/complaints/{case_id}/withdraw", fb::Command::Withdraw, PathId::kCase},
    {"/v1/complaints/{case_id}/rate", fb::Command::Rate, PathId::kCase},
};

Status ValidateKey(const std::string& key) {
  if (key.size() > 128) return Status::InvalidArgument("Idempotency-Key: at most 128 characters");
  for (char c : key) {
    if (c <= ' ' || c > '~') {
      return Status::InvalidArgument("Idempotency-Key: printable ASCII without spaces only");
    }
  }
  return Status::Ok();
}

// The body with the path's id in `field`: added when absent, refused when
// different. Text is kept as sent otherwise, so parser errors point into it.
Result<std::string> BodyWithId(const std::string& body, const char* field, const std::string& id) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    // Let the command parser name the line and column.
    return body;
  }
  if (!j.is_object()) return Status::InvalidArgument("body: expected a JSON object");
  if (j.contains(field)) {
    if (!j[field].is_string() || j[field].get<std::string>() != id) {
      return Status::InvalidArgument(
          fmt::format("body: {} {} differs from the path's {}", field, j[field].dump(), id));
    }
    return body;
  }
  const size_t brace = body.find('{');
  const std::string member = fmt::format("\"{}\":{}", field, JsonQuote(id));
  return body.substr(0, brace + 1) + member + (j.empty() ? "" : ",") + body.substr(brace + 1);
}

void AddTracking(Api& api, nlohmann::json& result) {
  if (!result.contains("case_id")) return;
  auto c = api.ledger.GetCase(result["case_id"].get<std::string>());
  if (!c.ok() || c.value()->tracking_code.empty()) return;
  const std::string code = c.value()->tracking_code;
  const std::string url = fmt::format("{}/v1/track/{}", api.PublicUrl(), code);
  auto qr = QrSvgDataUri(url);
  result["tracking"] = {{"code", code}, {"url", url}, {"qr_svg", url + "/qr.svg"}};
  if (qr.ok()) result["tracking"]["qr_data_uri"] = qr.value();
}

void HandleCommand(Api& api, Call& call, const CommandRoute& route) {
  const std::string name = CommandName(route.type);
  auto refuse = [&](int status, const std::string& code, const std::string& message) {
    api.metrics.CountCommand(name, code);
    SendError(call, status, code, message);
  };
  const std::string type = call.req.get_header_value("Content-Type");
  if (!type.empty() && type.find("application/json") == std::string::npos) {
    return refuse(415, "unsupported_media_type",
                  fmt::format("Content-Type '{}': send application/json", type));
  }
  const std::string key = call.req.get_header_value("Idempotency-Key");
  if (Status s = ValidateKey(key); !s.ok()) return refuse(400, "invalid_argument", s.message());
  std::string body = call.req.body;
  if (route.id != PathId::kNone) {
    auto b = BodyWithId(body, route.id == PathId::kCase ? "case_id" : "merchant_id", call.Param(0));
    if (!b.ok()) return refuse(400, "invalid_argument", b.status().message());
    body = std::move(b).value();
  }
  // A key names a command of its caller only: two callers never collide.
  const std::string command_id = key.empty() ? "" : call.who->Key() + "/" + key;
  auto parsed =
      api.ledger.codec().ParseBody(route.type, body, command_id, call.who->role, call.who->id);
  if (!parsed.ok()) return refuse(400, "invalid_argument", parsed.status().message());

  const auto start = std::chrono::steady_clock::now();
  // Concurrent requests are group-committed by the ledger.
  Outcome out = api.ledger.SubmitOne(parsed.value());
  api.metrics.append_latency().Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  const bool replayed = out.result.is_object() && out.result.value("replayed", false);
  api.metrics.CountCommand(
      name, out.status.ok() ? (replayed ? "replayed" : "ok") : CodeName(out.status.code()));
  if (!out.status.ok()) {
    if (out.result.contains("events") && out.result["events"].is_null()) out.result.erase("events");
    return SendJson(call, HttpStatusOf(out.status.code()), out.result);
  }
  if (!replayed) api.NotifyAppended();
  if (route.type == fb::Command::FileComplaint) AddTracking(api, out.result);
  SendJson(call, route.type == fb::Command::FileComplaint && !replayed ? 201 : 200, out.result);
}

template <size_t I>
void Handle(Api& api, Call& call) {
  HandleCommand(api, call, kCommands[I]);
}

template <size_t... I>
std::vector<Route> MakeRoutes(std::index_sequence<I...>) {
  return {Route{{"POST", kCommands[I].path, Access::kToken}, &Handle<I>}...};
}

}  // namespace

std::vector<Route> CommandRoutes() {
  return MakeRoutes(std::make_index_sequence<std::size(kCommands)>());
}

}  // namespace ledger::http
