// The access matrix of the HTTP service: every route, every role, allowed
// and denied; a denial is 403 (401 without a token) and writes nothing.
#include <map>
#include <set>

#include <catch2/catch.hpp>

#include "tests/support/http_fixture.h"

using namespace ledger;
using namespace ledger::test;
using C = fb::Command;
using R = fb::Role;

namespace {

// The callers: parties to case A (consumer u-1 against merchant m1, routed
// to its authority) and outsiders.
struct Caller {
  std::string name;
  R role;
  std::string id;  // empty: no token
};

struct Expect {
  std::set<std::string> allowed;  // caller names
  std::string body;               // for POSTs
};

const std::set<std::string> kParties = {"operator", "u-1", "m1", "authority"};
const std::set<std::string> kEveryone = {
    "operator", "u-1", "u-2", "m1", "m2", "authority", "other-authority", "anonymous"};
const std::set<std::string> kTokens = {"operator",       "u-1", "u-2", "m1", "m2", "authority",
                                       "other-authority"};

std::map<std::string, Expect> Matrix() {
  const std::string file =
      R"({"merchant_id":"m1","consumer_id":"u-1","reference_number":"R-%","terminal":"T1",)"
      R"("purchase_date":"2026-02-01","amount":1000,"invoice_number":"I-1","category":"non_delivery"})";
  return {
      {"POST /v1/merchants",
       {{"operator"},
        R"({"merchant_id":"m-new-%","name":"N","licence_date":"2024-01-01","domains":["n.ir"]})"}},
      {"POST /v1/merchants/{merchant_id}/star-level", {{"operator"}, R"({"star_level":"star3"})"}},
      {"POST /v1/merchants/{merchant_id}/violations",
       {{"operator", "authority", "other-authority"}, R"({"level":1,"rule":"no price label"})"}},
      {"POST /v1/merchants/{merchant_id}/suspend",
       {{"operator", "authority", "other-authority"}, R"({"reason":"review"})"}},
      {"POST /v1/merchants/{merchant_id}/reinstate", {{"operator"}, R"({"reason":"review"})"}},
      {"POST /v1/complaints", {{"operator", "u-1"}, file}},
      {"POST /v1/complaints/{case_id}/verify-transaction", {{"operator"}, "{}"}},
      {"POST /v1/complaints/{case_id}/reject-transaction",
       {{"operator"}, R"({"reason":"no such payment"})"}},
      {"POST /v1/complaints/{case_id}/respond", {{"operator", "m1"}, R"({"message":"shipped"})"}},
      {"POST /v1/complaints/{case_id}/reply",
       {{"operator", "u-1"}, R"({"message":"not received"})"}},
      {"POST /v1/complaints/{case_id}/accept", {{"operator", "u-1"}, "{}"}},
      {"POST /v1/complaints/{case_id}/declare-sufficient", {{"operator", "m1"}, "{}"}},
      {"POST /v1/complaints/{case_id}/escalate",
       {{"operator", "u-1", "m1"}, R"({"forum":"mediation","by":"consumer"})"}},
      {"POST /v1/complaints/{case_id}/defence",
       {{"operator", "m1"}, R"({"statement":"delivered"})"}},
      {"POST /v1/complaints/{case_id}/verdict",
       {{"operator", "authority"},
        R"({"in_favour_of":"consumer","remedy":"refund","amount":1000})"}},
      {"POST /v1/complaints/{case_id}/remedy", {{"operator", "u-1", "authority"}, "{}"}},
      {"POST /v1/complaints/{case_id}/withdraw", {{"operator", "u-1"}, R"({"reason":"settled"})"}},
      {"POST /v1/complaints/{case_id}/rate", {{"operator", "u-1"}, R"({"rating":4})"}},
      {"GET /v1/complaints/{case_id}", {kParties, ""}},
      {"GET /v1/complaints/{case_id}/history", {kParties, ""}},
      {"GET /v1/rankings", {{"operator", "authority", "other-authority"}, ""}},
      {"GET /v1/analytics", {{"operator", "authority", "other-authority"}, ""}},
      {"GET /v1/events", {kTokens, ""}},
      {"GET /metrics", {{"operator"}, ""}},
      {"GET /v1/merchants/{merchant_id}", {kEveryone, ""}},
      {"GET /v1/merchants/{merchant_id}/months", {kEveryone, ""}},
      {"GET /merchants/{merchant_id}", {kEveryone, ""}},
      {"GET /v1/track/{code}", {kEveryone, ""}},
      {"GET /v1/track/{code}/qr.svg", {kEveryone, ""}},
      {"GET /healthz", {kEveryone, ""}},
  };
}

std::string Fill(std::string path, const std::map<std::string, std::string>& ids) {
  for (const auto& [k, v] : ids) {
    const auto at = path.find(k);
    if (at != std::string::npos) path.replace(at, k.size(), v);
  }
  return path;
}

std::string Unique(std::string body, int n) {
  const auto at = body.find('%');
  if (at != std::string::npos) body.replace(at, 1, std::to_string(n));
  return body;
}

}  // namespace

TEST_CASE("Every route answers every role as the access rules say, and a denial writes nothing",
          "[http][access]") {
  HttpFixture h;
  h.fx().RegisterMerchant("m1");
  h.fx().RegisterMerchant("m2");
  const std::string case_a = h.fx().Accepted("m1", "A");
  const CaseState a = h.fx().Case(case_a);
  REQUIRE(!a.authority.empty());
  REQUIRE(!a.tracking_code.empty());
  const std::vector<Caller> callers = {
      {"operator", R::operator_, "centre"},
      {"u-1", R::consumer, "u-1"},
      {"u-2", R::consumer, "u-2"},
      {"m1", R::merchant, "m1"},
      {"m2", R::merchant, "m2"},
      {"authority", R::authority, a.authority},
      {"other-authority", R::authority, a.authority == "police" ? "guild_organisation" : "police"},
      {"anonymous", R::consumer, ""}};
  const std::map<std::string, std::string> ids = {
      {"{case_id}", case_a}, {"{merchant_id}", "m1"}, {"{code}", a.tracking_code}};

  const auto matrix = Matrix();
  // The matrix names every route the server has, and nothing else.
  std::set<std::string> routes;
  for (const auto& r : HttpServer::Routes()) routes.insert(r.method + " " + r.path);
  std::set<std::string> listed;
  for (const auto& [k, unused] : matrix) listed.insert(k);
  REQUIRE(routes == listed);

  int n = 0;
  auto call = [&](const std::string& route, const Caller& who) {
    const auto space = route.find(' ');
    const std::string method = route.substr(0, space);
    std::string path = Fill(route.substr(space + 1), ids);
    if (path == "/v1/events") path += "?wait=0";
    const std::string token = who.id.empty() ? "" : h.Token(who.role, who.id);
    return method == "GET"
               ? h.Get(path, token)
               : h.Post(path, Unique(matrix.at(route).body, ++n), token, fmt::format("k{}", n));
  };

  // Denials first, while case A is open, so no state rule answers before the access rule.
  size_t denials = 0;
  for (const auto& [route, expect] : matrix) {
    for (const auto& who : callers) {
      if (expect.allowed.count(who.name)) continue;
      const uint64_t before = h.LogLength();
      auto r = call(route, who);
      INFO(route << " as " << who.name << ": " << r.status << " " << r.body);
      CHECK(r.status == (who.id.empty() ? 401 : 403));
      CHECK(r.Json().value("code", "") ==
            (who.id.empty() ? "unauthenticated" : "permission_denied"));
      CHECK(!r.Json().value("error", "").empty());
      CHECK(h.LogLength() == before);
      ++denials;
    }
  }
  CHECK(denials > 100);
  for (const auto& [route, expect] : matrix) {
    for (const auto& who : callers) {
      if (!expect.allowed.count(who.name)) continue;
      auto r = call(route, who);
      INFO(route << " as " << who.name << ": " << r.status << " " << r.body);
      CHECK(r.status != 401);
      CHECK(r.status != 403);
      CHECK(r.status < 500);
      CHECK(r.status != -1);
    }
  }
}

TEST_CASE("A consumer's event stream carries its own complaints' events and no one else's",
          "[http][access]") {
  HttpFixture h;
  h.fx().RegisterMerchant("m1");
  const std::string mine = h.fx().Accepted("m1", "A");
  auto other = h.fx().Run(
      C::FileComplaint, R::consumer, "u-9",
      R"({"merchant_id":"m1","consumer_id":"u-9","reference_number":"Z","terminal":"T","purchase_date":"2026-02-01","amount":5,"invoice_number":"I","category":"non_delivery"})");
  REQUIRE(other.status.ok());
  auto r = h.Get("/v1/events?from=start&wait=0", h.Token(R::consumer, "u-1"));
  REQUIRE(r.status == 200);
  CHECK(r.body.find(mine) != std::string::npos);
  CHECK(r.body.find(other.result["case_id"].get<std::string>()) == std::string::npos);
  CHECK(r.body.find("MerchantRegistered") == std::string::npos);
  // The merchant sees both complaints and its registration.
  auto m = h.Get("/v1/events?from=start&wait=0", h.Token(R::merchant, "m1"));
  CHECK(m.body.find(mine) != std::string::npos);
  CHECK(m.body.find(other.result["case_id"].get<std::string>()) != std::string::npos);
  CHECK(m.body.find("event: MerchantRegistered") != std::string::npos);
}

TEST_CASE("The actor of a command is the token's, whatever the body says", "[http][access]") {
  HttpFixture h;
  h.fx().RegisterMerchant("m1");
  // A consumer cannot file for another consumer.
  const uint64_t before = h.LogLength();
  auto r = h.Post(
      "/v1/complaints",
      R"({"merchant_id":"m1","consumer_id":"u-1","reference_number":"R","terminal":"T","purchase_date":"2026-02-01","amount":5,"invoice_number":"I","category":"non_delivery"})",
      h.Token(R::consumer, "u-2"));
  CHECK(r.status == 403);
  CHECK(h.LogLength() == before);
  // A filed complaint's events name the token's caller.
  auto ok = h.Post(
      "/v1/complaints",
      R"({"merchant_id":"m1","consumer_id":"u-2","reference_number":"R","terminal":"T","purchase_date":"2026-02-01","amount":5,"invoice_number":"I","category":"non_delivery"})",
      h.Token(R::consumer, "u-2"), "first");
  REQUIRE(ok.status == 201);
  CHECK(ok.Json()["command_id"] == "consumer:u-2/first");
  auto hist = h.Get("/v1/complaints/" + ok.Json()["case_id"].get<std::string>() + "/history",
                    h.Token(R::consumer, "u-2"));
  REQUIRE(hist.status == 200);
  CHECK(hist.Json()["events"][0]["event"]["actor"]["id"] == "u-2");
  CHECK(hist.Json()["events"][0]["event"]["actor"]["role"] == "consumer");
}
