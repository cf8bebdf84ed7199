// Fuzz target: the HTTP service's request handlers (app/http/), driven
// in-process without sockets over one ledger in a temporary folder. The input
// is a request as text:
//
//   METHOD PATH[?QUERY]
//   Header: value
//   ...
//   (blank line)
//   body
//
// The path is matched against the route table as the server matches it; the
// matching handler runs with the caller named by an "As: role:id" header
// (operator:centre by default), since tokens cannot be in a seed corpus. An
// "Authorization: Bearer ..." header goes through the token verifier. The
// event stream (/v1/events) is left out: it waits for appends.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "app/http/api.h"
#include "app/ledger/service.h"

namespace {

using ledger::http::Route;

struct World {
  std::string dir;
  ledger::ManualClock clock{1772352000000};  // 2026-03-01T08:00:00Z
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<ledger::TokenSigner> signer;
  std::unique_ptr<ledger::http::Api> api;
  std::vector<Route> routes;
  std::vector<std::regex> patterns;

  World() {
    dir = (std::filesystem::temp_directory_path() /
           ("ledger-fuzz-http-" + std::to_string(::getpid())))
              .string();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    ledger::LedgerOptions o;
    o.data_dir = dir;
    o.partitions = 2;
    auto l = ledger::Ledger::Open(o, clock);
    if (!l.ok()) Die(l.status().ToString());
    ledger = std::move(l).value();
    auto s = ledger::TokenSigner::OpenOrCreate(ledger::TokenSigner::KeyPathFor(dir));
    if (!s.ok()) Die(s.status().ToString());
    signer = std::make_unique<ledger::TokenSigner>(std::move(s).value());
    ledger::HttpOptions opts;
    opts.access_log = false;
    api = std::make_unique<ledger::http::Api>(*ledger, *signer, opts);
    for (auto part : {ledger::http::CommandRoutes(), ledger::http::QueryRoutes(),
                      ledger::http::PublicRoutes()}) {
      for (auto& r : part) {
        routes.push_back(r);
        patterns.emplace_back(
            std::regex_replace(r.spec.path, std::regex(R"(\{[a-z_]+\})"), "([^/]+)"));
      }
    }
    // A merchant and a complaint to act on.
    Seed(
        R"({"actor":{"role":"operator","id":"centre"},"command_type":"RegisterMerchant","command":)"
        R"({"merchant_id":"m-1","name":"Shop","licence_date":"2024-01-01","domains":["m-1.example"]}})");
    Seed(
        R"({"actor":{"role":"consumer","id":"u-1"},"command_type":"FileComplaint","command":)"
        R"({"merchant_id":"m-1","consumer_id":"u-1","reference_number":"R-1","terminal":"T-1",)"
        R"("purchase_date":"2026-02-20","amount":500000,"invoice_number":"INV-1","category":"non_delivery"}})");
  }
  ~World() {
    api.reset();
    ledger.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  void Seed(std::string_view json) {
    auto out = ledger->SubmitJson(json);
    if (!out.status.ok()) Die(out.status.ToString());
  }
  [[noreturn]] static void Die(const std::string& why) {
    std::fprintf(stderr, "fuzz_http: cannot set up: %s\n", why.c_str());
    std::abort();
  }
};

std::string_view NextLine(std::string_view& text) {
  const auto nl = text.find('\n');
  std::string_view line = text.substr(0, nl);
  text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

void ParseQuery(std::string_view q, httplib::Params& params) {
  while (!q.empty()) {
    const auto amp = q.find('&');
    std::string_view kv = q.substr(0, amp);
    q.remove_prefix(amp == std::string_view::npos ? q.size() : amp + 1);
    const auto eq = kv.find('=');
    params.emplace(std::string(kv.substr(0, eq)),
                   eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World w;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  httplib::Request req;
  httplib::Response res;
  const std::string_view first = NextLine(text);
  const auto sp = first.find(' ');
  if (sp == std::string_view::npos) return 0;
  req.method = std::string(first.substr(0, sp));
  std::string_view target = first.substr(sp + 1);
  const auto qm = target.find('?');
  req.path = std::string(target.substr(0, qm));
  if (qm != std::string_view::npos) ParseQuery(target.substr(qm + 1), req.params);
  for (std::string_view line = NextLine(text); !line.empty(); line = NextLine(text)) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    req.headers.emplace(std::string(line.substr(0, colon)), std::string(value));
  }
  req.body = std::string(text);
  req.remote_addr = "127.0.0.1";

  ledger::Principal who{ledger::fb::Role::operator_, "centre", 0};
  const std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0) {
    auto p = w.signer->Verify(std::string_view(auth).substr(7), w.clock.Now());
    if (p.ok()) who = std::move(p).value();
  }
  const std::string as = req.get_header_value("As");
  if (const auto c = as.find(':'); c != std::string::npos) {
    auto role = ledger::ParseRole(std::string_view(as).substr(0, c));
    if (role.ok() && ledger::TokenSigner::ValidateId(std::string_view(as).substr(c + 1)).ok()) {
      who = {role.value(), as.substr(c + 1), 0};
    }
  }
  for (size_t i = 0; i < w.routes.size(); ++i) {
    if (w.routes[i].spec.method != req.method ||
        !std::regex_match(req.path, req.matches, w.patterns[i]))
      continue;
    ledger::http::Call call{req, res, &who};
    ledger::http::Dispatch(*w.api, w.routes[i], call);  // as the server runs a matched route
    if (res.status == 500) {
      // A handler refuses bad input itself; a 500 is an exception or a broken store.
      std::fprintf(stderr, "handler for %s %s answered 500: %s\n", req.method.c_str(),
                   req.path.c_str(), res.body.c_str());
      std::abort();
    }
    if (res.status < 200 || res.status > 599 || res.body.empty()) {
      std::fprintf(stderr, "handler for %s %s answered %d with %zu bytes\n", req.method.c_str(),
                   req.path.c_str(), res.status, res.body.size());
      std::abort();
    }
    break;
  }
  w.clock.Advance(60 * 1000);  // a minute per request, so deadlines fire now and then
  return 0;
}
