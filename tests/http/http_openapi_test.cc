// docs/openapi.json against the running server: every operation in the
// document answers with a status the document lists, and every route the
// server has is in the document (and nothing else is).
#include <fstream>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "tests/support/http_fixture.h"

using namespace ledger;
using namespace ledger::test;

namespace {

nlohmann::json LoadDoc() {
  std::ifstream in(std::string(LEDGER_SOURCE_DIR) + "/docs/openapi.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

}  // namespace

TEST_CASE("The OpenAPI document lists exactly the server's routes, public ones without security",
          "[http][openapi]") {
  const auto doc = LoadDoc();
  REQUIRE(doc["openapi"].get<std::string>().rfind("3.", 0) == 0);
  std::set<std::string> documented, public_documented;
  for (const auto& [path, ops] : doc["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      std::string m = method;
      for (auto& c : m) c = static_cast<char>(std::toupper(c));
      documented.insert(m + " " + path);
      if (op.contains("security") && op["security"].empty())
        public_documented.insert(m + " " + path);
    }
  }
  std::set<std::string> served, public_served;
  for (const auto& r : HttpServer::Routes()) {
    served.insert(r.method + " " + r.path);
    if (r.access == Access::kPublic) public_served.insert(r.method + " " + r.path);
  }
  CHECK(documented == served);
  CHECK(public_documented == public_served);
}

TEST_CASE("Every documented operation answers with a documented status", "[http][openapi]") {
  const auto doc = LoadDoc();
  HttpFixture h;
  h.fx().RegisterMerchant("m-1");
  const std::string case_id = h.fx().Accepted("m-1", "A");
  const std::string code = h.fx().Case(case_id).tracking_code;
  const std::string op = h.Token(fb::Role::operator_, "centre");
  size_t checked = 0;
  for (const auto& [path, ops] : doc["paths"].items()) {
    for (const auto& [method, spec] : ops.items()) {
      std::string url = path;
      for (const auto& [k, v] : std::map<std::string, std::string>{
               {"{case_id}", case_id}, {"{merchant_id}", "m-1"}, {"{code}", code}}) {
        const auto at = url.find(k);
        if (at != std::string::npos) url.replace(at, k.size(), v);
      }
      if (url == "/v1/events") url += "?wait=0";
      const bool is_public = spec.contains("security") && spec["security"].empty();
      const std::string token = is_public ? "" : op;
      HttpFixture::Reply r;
      if (method == "post") {
        const std::string body =
            spec["requestBody"]["content"]["application/json"]["example"].dump();
        r = h.Post(url, body, token, "doc-" + std::to_string(checked));
      } else {
        r = h.Get(url, token);
      }
      INFO(method << " " << url << " -> " << r.status << " " << r.body.substr(0, 300));
      REQUIRE(r.status > 0);
      CHECK(spec["responses"].contains(std::to_string(r.status)));
      // Without a token, a protected operation says 401, which the document lists.
      if (!is_public) {
        auto anon = method == "post" ? h.Post(url, "{}", "") : h.Get(url);
        CHECK(anon.status == 401);
        CHECK(spec["responses"].contains("401"));
      }
      ++checked;
    }
  }
  CHECK(checked == HttpServer::Routes().size());
}
