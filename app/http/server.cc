#include "app/http/server.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <regex>

#include <fmt/format.h>

#include "app/http/api.h"
#include "common/text.h"
#include "engine/decide.h"

namespace ledger {

namespace http {

// --- responses -------------------------------------------------------------------

int HttpStatusOf(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kNotFound:
      return 404;
    case Code::kRejected:
      return 422;
    case Code::kConflict:
      return 409;
    case Code::kPermissionDenied:
      return 403;
    case Code::kUnavailable:
      return 503;
    case Code::kCorruption:
    case Code::kIoError:
      return 500;
  }
  return 500;
}

void SendJson(Call& call, int status, const nlohmann::json& body) {
  call.res.status = status;
  call.res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                       "application/json");
}

void SendError(Call& call, int status, const std::string& code, const std::string& message) {
  SendJson(call, status, {{"error", message}, {"code", code}});
}

namespace {
// Text that JSON can carry, without control characters.
bool JsonText(const std::string& s) {
  for (char ch : s) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return false;
  }
  return IsUtf8(s);
}
}  // namespace

void Dispatch(Api& api, const Route& route, Call& call) {
  // Path and query parameters end up in commands, answers and error messages,
  // all JSON: refuse here what JSON cannot carry, naming the parameter.
  for (size_t i = 1; i < call.req.matches.size(); ++i) {
    if (!JsonText(call.req.matches[static_cast<int>(i)].str())) {
      return SendError(
          call, 400, "invalid_argument",
          fmt::format("path parameter {} of {} is not UTF-8 text without control characters", i,
                      route.spec.path));
    }
  }
  for (const auto& [key, value] : call.req.params) {
    if (!JsonText(key) || !JsonText(value)) {
      return SendError(call, 400, "invalid_argument",
                       "a query parameter is not UTF-8 text without control characters");
    }
  }
  try {
    route.handler(api, call);
  } catch (const std::exception& e) {
    SendError(call, 500, "internal", fmt::format("internal error: {}", e.what()));
  }
}

void SendStatus(Call& call, const Status& status) {
  SendError(call, HttpStatusOf(status.code()), CodeName(status.code()), status.message());
}

std::unique_ptr<CaseState> CaseFor(Api& api, Call& call, const std::string& case_id) {
  auto c = api.ledger.GetCase(case_id);
  if (!c.ok()) {
    SendStatus(call, c.status());
    return nullptr;
  }
  if (!MayReadCase(call.who->role, call.who->id, *c.value())) {
    SendError(call, 403, "permission_denied",
              fmt::format("{} {} is not a party to case {}", RoleName(call.who->role), call.who->id,
                          case_id));
    return nullptr;
  }
  return std::move(c).value();
}

bool RequireRole(Call& call, Overview overview) {
  const auto& roles = RolesThatMayRead(overview);
  const char* what = overview == Overview::kRankings    ? "rankings"
                     : overview == Overview::kAnalytics ? "analytics"
                                                        : "metrics";
  for (auto r : roles) {
    if (r == call.who->role) return true;
  }
  std::string allowed;
  for (auto r : roles) allowed += (allowed.empty() ? "" : ", ") + std::string(RoleName(r));
  SendError(
      call, 403, "permission_denied",
      fmt::format("a {} may not read {} (only: {})", RoleName(call.who->role), what, allowed));
  return false;
}

// --- shared state -------------------------------------------------------------------

void Api::NotifyAppended() {
  {
    std::lock_guard<std::mutex> lock(wait_mu_);
    ++appended_;
  }
  wait_cv_.notify_all();
}

uint64_t Api::WaitAppended(uint64_t seen, int ms) {
  std::unique_lock<std::mutex> lock(wait_mu_);
  wait_cv_.wait_for(lock, std::chrono::milliseconds(ms),
                    [&] { return appended_.load() != seen || stopping.load(); });
  return appended_.load();
}

void Api::StreamClosed() {
  {
    std::lock_guard<std::mutex> lock(wait_mu_);
    open_streams.fetch_sub(1);
  }
  wait_cv_.notify_all();
}

void Api::WaitStreamsClosed(int ms) {
  std::unique_lock<std::mutex> lock(wait_mu_);
  wait_cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return open_streams.load() == 0; });
}

std::string Api::PublicUrl() const {
  if (!options.public_url.empty()) return options.public_url;
  return fmt::format("http://{}:{}", options.host, options.port);
}

namespace {

std::vector<Route> AllRoutes() {
  std::vector<Route> all;
  for (auto part : {CommandRoutes(), QueryRoutes(), StreamRoutes(), PublicRoutes()}) {
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

// "/v1/complaints/{case_id}/respond" -> "/v1/complaints/([^/]+)/respond"
std::string PatternOf(const std::string& path) {
  static const std::regex param(R"(\{[a-z_]+\})");
  std::string escaped = std::regex_replace(path, std::regex(R"([.])"), R"(\.)");
  return std::regex_replace(escaped, param, "([^/]+)");
}

// Per-request facts the access log needs from inside the handler's thread.
struct RequestFacts {
  std::chrono::steady_clock::time_point start;
  std::string route = "unmatched";
  std::string who;
};
thread_local RequestFacts t_facts;

int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace
}  // namespace http

using http::Api;
using http::Call;
using http::MonotonicMs;
using http::PatternOf;
using http::SendError;
using http::t_facts;

struct HttpServer::Impl {
  Impl(Ledger& l, const TokenSigner& s, HttpOptions o) : api(l, s, o) {}
  Api api;
  httplib::Server server;
  std::vector<http::Route> routes = http::AllRoutes();
  std::vector<std::regex> patterns;
  std::mutex log_mu;

  void Register();
  void Handle(const http::Route& route, const httplib::Request& req, httplib::Response& res);
  httplib::Server::HandlerResponse OnError(const httplib::Request& req, httplib::Response& res);
  void Log(const httplib::Request& req, const httplib::Response& res);
};

void HttpServer::Impl::Handle(const http::Route& route, const httplib::Request& req,
                              httplib::Response& res) {
  t_facts.route = route.spec.path;
  Call call{req, res, nullptr};
  std::optional<Principal> who;
  std::string limit_key = "addr:" + req.remote_addr;
  if (route.spec.access == Access::kToken) {
    const std::string auth = req.get_header_value("Authorization");
    if (auth.rfind("Bearer ", 0) != 0) {
      res.set_header("WWW-Authenticate", "Bearer");
      return SendError(
          call, 401, "unauthenticated",
          "this route needs 'Authorization: Bearer <token>' (mint one with `ledger token`)");
    }
    auto p = api.signer.Verify(std::string_view(auth).substr(7), api.ledger.clock().Now());
    if (!p.ok()) {
      res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return SendError(call, 401, "unauthenticated", "bad token: " + p.status().message());
    }
    who = std::move(p).value();
    call.who = &*who;
    t_facts.who = who->Key();
    limit_key = who->Key();
  }
  RateLimiter& limiter = who ? api.limiter : api.public_limiter;
  if (const int64_t wait_ms = limiter.Take(limit_key, MonotonicMs()); wait_ms > 0) {
    res.set_header("Retry-After", std::to_string((wait_ms + 999) / 1000));
    return SendError(
        call, 429, "rate_limited",
        fmt::format("too many requests from {}: {:g} a second, bursts of {:g}; retry in {} ms",
                    limit_key, limiter.rate(), limiter.burst(), wait_ms));
  }
  http::Dispatch(api, route, call);
}

httplib::Server::HandlerResponse HttpServer::Impl::OnError(const httplib::Request& req,
                                                           httplib::Response& res) {
  if (!res.body.empty())
    return httplib::Server::HandlerResponse::Unhandled;  // a handler's own error
  Call call{req, res, nullptr};
  switch (res.status) {
    case 413:
      SendError(call, 413, "body_too_large",
                fmt::format("request body is larger than {} bytes", api.options.max_body_bytes));
      break;
    case 404: {
      std::string allowed;
      for (size_t i = 0; i < routes.size(); ++i) {
        if (std::regex_match(req.path, patterns[i]))
          allowed += (allowed.empty() ? "" : ", ") + routes[i].spec.method;
      }
      if (!allowed.empty()) {
        res.set_header("Allow", allowed);
        SendError(call, 405, "method_not_allowed",
                  fmt::format("{} {}: use {}", req.method, req.path, allowed));
      } else {
        SendError(call, 404, "not_found", fmt::format("no route {} {}", req.method, req.path));
      }
      break;
    }
    default:
      SendError(call, res.status, "bad_request",
                fmt::format("the request could not be read (HTTP {})", res.status));
  }
  return httplib::Server::HandlerResponse::Handled;
}

void HttpServer::Impl::Log(const httplib::Request& req, const httplib::Response& res) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_facts.start).count();
  const bool stream = res.get_header_value("Content-Type") == "text/event-stream";
  if (!stream) api.metrics.request_latency().Observe(seconds);
  api.metrics.CountRequest(t_facts.route, req.method, res.status);
  if (!api.options.access_log) return;
  nlohmann::json line{{"ts", FormatTime(api.ledger.clock().Now())},
                      {"remote", req.remote_addr},
                      {"method", req.method},
                      {"path", req.path},
                      {"route", t_facts.route},
                      {"status", res.status},
                      {"ms", std::round(seconds * 100000) / 100},
                      {"bytes_in", req.body.size()},
                      {"bytes_out", res.body.size()}};
  if (!t_facts.who.empty()) line["who"] = t_facts.who;
  if (res.status >= 400 && !res.body.empty()) {
    auto j = nlohmann::json::parse(res.body, nullptr, false);
    if (j.is_object() && j.contains("code")) line["code"] = j["code"];
  }
  const std::string text =
      line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> lock(log_mu);
  std::fwrite(text.data(), 1, text.size(), stderr);
}

void HttpServer::Impl::Register() {
  const HttpOptions& o = api.options;
  server.set_payload_max_length(o.max_body_bytes);
  server.set_read_timeout(o.read_timeout_s, 0);
  server.set_write_timeout(o.write_timeout_s, 0);
  server.set_keep_alive_timeout(o.keep_alive_s);
  server.set_keep_alive_max_count(1000);
  server.set_tcp_nodelay(true);  // small JSON answers must not wait for the peer's delayed ACK
  const size_t threads = o.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    t_facts = http::RequestFacts{std::chrono::steady_clock::now(), "unmatched", ""};
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) { return OnError(req, res); }));
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        res.status = 500;
        res.set_content(R"({"error":"internal error","code":"internal"})", "application/json");
      });
  server.set_logger(
      [this](const httplib::Request& req, const httplib::Response& res) { Log(req, res); });
  for (const http::Route& r : routes) {
    patterns.emplace_back(PatternOf(r.spec.path));
    auto handler = [this, &r](const httplib::Request& req, httplib::Response& res) {
      Handle(r, req, res);
    };
    if (r.spec.method == "GET") server.Get(PatternOf(r.spec.path), handler);
    if (r.spec.method == "POST") server.Post(PatternOf(r.spec.path), handler);
  }
}

HttpServer::HttpServer(Ledger& ledger, const TokenSigner& signer, HttpOptions options)
    : impl_(std::make_unique<Impl>(ledger, signer, std::move(options))) {
  impl_->Register();
}

HttpServer::~HttpServer() { Stop(); }

Result<int> HttpServer::Bind() {
  auto& o = impl_->api.options;
  if (o.port == 0) {
    o.port = impl_->server.bind_to_any_port(o.host);
    if (o.port < 0) return Status::IoError(fmt::format("cannot bind {}", o.host));
  } else if (!impl_->server.bind_to_port(o.host, o.port)) {
    return Status::IoError(fmt::format("cannot bind {}:{} (in use?)", o.host, o.port));
  }
  return o.port;
}

Status HttpServer::Serve() {
  if (!impl_->server.listen_after_bind() && !impl_->api.stopping.load()) {
    return Status::IoError("the HTTP server stopped unexpectedly");
  }
  return Status::Ok();
}

void HttpServer::Stop() {
  // Streams end first, with their last events, then the listener closes.
  impl_->api.stopping = true;
  impl_->api.NotifyAppended();
  impl_->api.WaitStreamsClosed(3000);
  impl_->server.stop();
}

void HttpServer::NotifyAppended() { impl_->api.NotifyAppended(); }

void HttpServer::RecordTick(const Result<size_t>& r) {
  impl_->api.metrics.CountTick(r.ok());
  if (r.ok() && r.value() > 0) {
    impl_->api.metrics.CountTimerEvents(r.value());
    impl_->api.NotifyAppended();
  }
}

std::vector<RouteSpec> HttpServer::Routes() {
  std::vector<RouteSpec> out;
  for (const auto& r : http::AllRoutes()) out.push_back(r.spec);
  return out;
}

}  // namespace ledger
