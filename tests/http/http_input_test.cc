// Hostile and mistaken input to the HTTP service: a 4xx with a JSON error
// naming what is wrong, nothing written, the server still serving.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <future>

#include <catch2/catch.hpp>

#include "app/ledger/timekeeper.h"
#include "tests/support/http_fixture.h"

using namespace ledger;
using namespace ledger::test;
using R = fb::Role;

namespace {

std::string Fill(std::string path, const std::string& case_id) {
  for (const std::string k : {"{case_id}", "{merchant_id}"}) {
    const auto at = path.find(k);
    if (at != std::string::npos) path.replace(at, k.size(), k == "{case_id}" ? case_id : "m1");
  }
  return path;
}

// Sends `request` on a new connection; returns what comes back until the server closes or is silent
// for 2 s.
std::string RawRequest(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return "";
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string reply;
  char buf[4096];
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, 2000) == 1) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return reply;
}

}  // namespace

TEST_CASE(
    "Every command route refuses bad JSON, wrong types, unknown fields, big bodies and bad "
    "headers, writing nothing",
    "[http][input]") {
  HttpFixture h;
  h.fx().RegisterMerchant("m1");
  const std::string case_a = h.fx().Accepted("m1", "A");
  const std::string op = h.Token(R::operator_, "centre");
  const uint64_t before = h.LogLength();
  const std::string big(70 * 1024, ' ');
  std::string deep(20000, '[');
  deep += std::string(20000, ']');
  size_t routes = 0;
  for (const auto& route : HttpServer::Routes()) {
    if (route.method != "POST") continue;
    ++routes;
    const std::string path = Fill(route.path, case_a);
    INFO(path);
    auto bad = h.Post(path, R"({"reason": )", op);
    CHECK(bad.status == 400);
    CHECK(bad.Json()["code"] == "invalid_argument");
    CHECK(bad.Json()["error"].get<std::string>().find("line") != std::string::npos);

    auto unknown = h.Post(path, R"({"surprise_field": 1})", op);
    CHECK(unknown.status == 400);
    CHECK(unknown.Json()["error"].get<std::string>().find("surprise_field") != std::string::npos);

    auto not_object = h.Post(path, "[1,2]", op);
    CHECK(not_object.status == 400);
    CHECK(not_object.Json()["code"] == "invalid_argument");

    // Wrong type: a number where the schema wants a string.
    auto wrong = h.Post(path,
                        route.path.find("{case_id}") != std::string::npos ? R"({"case_id": 7})"
                                                                          : R"({"merchant_id": 7})",
                        op);
    CHECK(wrong.status == 400);
    CHECK(!wrong.Json()["error"].get<std::string>().empty());

    auto nested = h.Post(path, deep, op);
    CHECK(nested.status == 400);

    auto huge = h.Post(path, big, op);
    CHECK(huge.status == 413);
    CHECK(huge.Json()["code"] == "body_too_large");

    auto text = h.Post(path, "{}", op, "", "text/plain");
    CHECK(text.status == 415);
    CHECK(text.Json()["code"] == "unsupported_media_type");

    auto key = h.Post(path, "{}", op, "two words");
    CHECK(key.status == 400);
    CHECK(key.Json()["error"].get<std::string>().find("Idempotency-Key") != std::string::npos);
  }
  CHECK(routes == 18);
  CHECK(h.LogLength() == before);
  // Still serving.
  CHECK(h.Get("/healthz").status == 200);
}

TEST_CASE("A body naming another case than the path is refused", "[http][input]") {
  HttpFixture h;
  h.fx().RegisterMerchant("m1");
  const std::string a = h.fx().Accepted("m1", "A");
  const uint64_t before = h.LogLength();
  auto r = h.Post("/v1/complaints/" + a + "/respond", R"({"case_id":"C-other","message":"x"})",
                  h.Token(R::merchant, "m1"));
  CHECK(r.status == 400);
  CHECK(r.Json()["error"].get<std::string>().find("differs from the path") != std::string::npos);
  // The same id in both is fine.
  auto ok = h.Post("/v1/complaints/" + a + "/respond",
                   R"({"case_id":")" + a + R"(","message":"x"})", h.Token(R::merchant, "m1"));
  CHECK(ok.status == 200);
  CHECK(h.LogLength() == before + 1);
}

TEST_CASE("Query routes name their bad parameters", "[http][input]") {
  HttpFixture h;
  h.fx().RegisterMerchant("m1");
  const std::string op = h.Token(R::operator_, "centre");
  struct Case {
    std::string path;
    int status;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"/v1/merchants/m1?as_of=yesterday", 400, "as_of"},
      {"/v1/merchants/nobody", 404, "nobody"},
      {"/v1/rankings?by=charm", 400, "charm"},
      {"/v1/rankings?limit=0", 400, "limit"},
      {"/v1/rankings?limit=99999999999", 400, "limit"},
      {"/v1/analytics?by=planet", 400, "planet"},
      {"/v1/analytics?from_month=2026-13", 400, "from_month"},
      {"/v1/events?from=5:x", 400, "cursor"},
      {"/v1/events?wait=-1", 400, "wait"},
      {"/merchants/m1?lang=de", 400, "lang"},
      {"/v1/track/NOPE", 404, "NOPE"},
      {"/v1/complaints/C-missing", 404, "C-missing"},
      // Percent-encoded bytes that are not UTF-8, in the path and in the query.
      {"/v1/complaints/C-1%A3/history", 400, "path parameter 1"},
      {"/v1/merchants/m1%FF", 400, "path parameter 1"},
      {"/v1/merchants/m%C0%80", 400, "path parameter 1"},  // an overlong form
      {"/v1/rankings?by=delayed%FF", 400, "query parameter"},
      {"/v1/complaints/C-1%01", 400, "control characters"},
  };
  for (const auto& c : cases) {
    auto r = h.Get(c.path, op);
    INFO(c.path << " -> " << r.status << " " << r.body);
    CHECK(r.status == c.status);
    CHECK(r.Json()["error"].get<std::string>().find(c.says) != std::string::npos);
  }
  // A URL longer than the server reads, and a GET with an oversized body: JSON errors too.
  auto long_url = h.Get("/v1/merchants/" + std::string(20000, 'x'));
  CHECK(long_url.status == 414);
  CHECK(long_url.Json()["code"] == "bad_request");
  // A GET's body is not read (the server does not expect one): what follows the
  // headers is taken as the next request, refused, and the connection closed.
  const std::string raw = RawRequest(
      h.port(), "GET /v1/merchants/m1 HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
                    std::string(100000, 'x'));
  CHECK(raw.find("HTTP/1.1 5") == std::string::npos);
  CHECK(h.Get("/v1/merchants/m1").status == 200);
}

TEST_CASE("Tokens: expired, forged, from another key or malformed get 401", "[http][input]") {
  HttpFixture h;
  h.fx().RegisterMerchant("m1");
  const std::string good = h.Token(R::operator_, "centre", 60 * 1000);
  CHECK(h.Get("/v1/rankings", good).status == 200);
  std::string forged = good;
  forged[10] = forged[10] == 'A' ? 'B' : 'A';
  CHECK(h.Get("/v1/rankings", forged).status == 401);
  auto other = TokenSigner::OpenOrCreate(TempDir("otherkey") + "/k");
  REQUIRE(other.ok());
  auto foreign =
      h.Get("/v1/rankings",
            other.value().Mint({R::operator_, "centre", h.fx().clock().Now() + kHourMs}, 0));
  CHECK(foreign.status == 401);
  CHECK(foreign.Json()["error"].get<std::string>().find("signature") != std::string::npos);
  CHECK(h.Get("/v1/rankings", "garbage").status == 401);
  h.fx().clock().Advance(61 * 1000);
  auto expired = h.Get("/v1/rankings", good);
  CHECK(expired.status == 401);
  CHECK(expired.Json()["error"].get<std::string>().find("expired") != std::string::npos);
}

TEST_CASE("The token key is created with mode 0600 and refused when others can read it",
          "[http][input]") {
  const std::string dir = TempDir("key");
  const std::string path = TokenSigner::KeyPathFor(dir);
  REQUIRE(TokenSigner::OpenOrCreate(path).ok());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // The same key again: a token minted before verifies after.
  auto a = TokenSigner::OpenOrCreate(path);
  const std::string t = a.value().Mint({R::consumer, "u-1", 10'000}, 0);
  CHECK(TokenSigner::OpenOrCreate(path).value().Verify(t, 5'000).ok());
  ::chmod(path.c_str(), 0644);
  auto loose = TokenSigner::OpenOrCreate(path);
  CHECK(!loose.ok());
  CHECK(loose.status().message().find("600") != std::string::npos);
}

TEST_CASE("Too many requests from one token get 429 with Retry-After while other callers go on",
          "[http][input]") {
  HttpOptions o = HttpFixture::Defaults();
  o.rate_per_s = 1;
  o.burst = 3;
  HttpFixture h(o);
  h.fx().RegisterMerchant("m1");
  const std::string a = h.Token(R::operator_, "a");
  for (int i = 0; i < 3; ++i) CHECK(h.Get("/v1/rankings", a).status == 200);
  auto limited = h.Get("/v1/rankings", a);
  CHECK(limited.status == 429);
  CHECK(limited.Json()["code"] == "rate_limited");
  REQUIRE(limited.headers.count("Retry-After") == 1);
  CHECK(limited.headers.find("Retry-After")->second == "1");
  CHECK(h.Get("/v1/rankings", h.Token(R::operator_, "b")).status == 200);
  // A command refused by the limit writes nothing.
  const uint64_t before = h.LogLength();
  auto cmd = h.Post(
      "/v1/merchants",
      R"({"merchant_id":"m9","name":"N","licence_date":"2024-01-01","domains":["n.ir"]})", a);
  CHECK(cmd.status == 429);
  CHECK(h.LogLength() == before);
}

TEST_CASE(
    "A client that sends half a request is dropped after the read timeout while others are served",
    "[http][input]") {
  HttpOptions o = HttpFixture::Defaults();
  o.read_timeout_s = 1;
  HttpFixture h(o);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(h.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const std::string partial =
      "POST /v1/complaints HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"merchant";
  REQUIRE(::write(fd, partial.data(), partial.size()) == static_cast<ssize_t>(partial.size()));
  CHECK(h.Get("/healthz").status == 200);
  // The server closes the connection (read returns 0 or an error) well within 5 s.
  pollfd p{fd, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 5000) == 1);
  char buf[512];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  CHECK(n >= 0);  // closed, possibly after an error response
  CHECK(h.Get("/healthz").status == 200);
}

TEST_CASE(
    "Retrying a command with the same Idempotency-Key applies it once and another body under the "
    "key is a conflict",
    "[http][input]") {
  HttpFixture h;
  h.fx().RegisterMerchant("m1");
  const std::string u = h.Token(R::consumer, "u-1");
  const std::string body =
      R"({"merchant_id":"m1","consumer_id":"u-1","reference_number":"R","terminal":"T","purchase_date":"2026-02-01","amount":5,"invoice_number":"I","category":"non_delivery"})";
  auto first = h.Post("/v1/complaints", body, u, "file-1");
  REQUIRE(first.status == 201);
  const uint64_t after = h.LogLength();
  auto again = h.Post("/v1/complaints", body, u, "file-1");
  CHECK(again.status == 200);
  CHECK(again.Json()["replayed"] == true);
  CHECK(again.Json()["case_id"] == first.Json()["case_id"]);
  CHECK(again.Json()["tracking"]["code"] == first.Json()["tracking"]["code"]);
  CHECK(h.LogLength() == after);
  auto changed = h.Post(
      "/v1/complaints",
      R"({"merchant_id":"m1","consumer_id":"u-1","reference_number":"R2","terminal":"T","purchase_date":"2026-02-01","amount":5,"invoice_number":"I","category":"non_delivery"})",
      u, "file-1");
  CHECK(changed.status == 409);
  CHECK(h.LogLength() == after);
  // Another caller's same key is its own command.
  h.fx().RegisterMerchant("m2");
  auto other = h.Post(
      "/v1/complaints",
      R"({"merchant_id":"m2","consumer_id":"u-2","reference_number":"R","terminal":"T","purchase_date":"2026-02-01","amount":5,"invoice_number":"I","category":"non_delivery"})",
      h.Token(R::consumer, "u-2"), "file-1");
  CHECK(other.status == 201);
}

TEST_CASE("A complaint's tracking code shows its status without login, with a QR code of the link",
          "[http][track]") {
  HttpFixture h;
  h.fx().RegisterMerchant("m1");
  auto filed = h.Post(
      "/v1/complaints",
      R"({"merchant_id":"m1","consumer_id":"u-1","reference_number":"R","terminal":"T","purchase_date":"2026-02-01","amount":5,"invoice_number":"I","category":"non_delivery"})",
      h.Token(R::consumer, "u-1"), "k");
  REQUIRE(filed.status == 201);
  const auto tracking = filed.Json()["tracking"];
  const std::string code = tracking["code"];
  CHECK(code.size() == 11);
  CHECK(code == h.fx().Case(filed.Json()["case_id"]).tracking_code);
  CHECK(tracking["qr_data_uri"].get<std::string>().rfind("data:image/svg+xml;base64,", 0) == 0);
  auto t = h.Get("/v1/track/" + code);
  REQUIRE(t.status == 200);
  CHECK(t.Json()["status"] == "awaiting_verification");
  CHECK(!t.Json().contains("consumer_id"));
  CHECK(!t.Json().contains("transaction"));
  REQUIRE(h.fx()
              .Op(fb::Command::VerifyTransaction, Fixture::CaseBody(filed.Json()["case_id"]))
              .status.ok());
  CHECK(h.Get("/v1/track/" + code).Json()["status"] == "awaiting_response");
  auto qr = h.Get("/v1/track/" + code + "/qr.svg");
  CHECK(qr.status == 200);
  CHECK(qr.body.rfind("<svg", 0) == 0);
  CHECK(qr.body.find("<path") != std::string::npos);
}

TEST_CASE("The timekeeper fires deadlines without any request", "[http][timekeeper]") {
  HttpFixture h;
  h.fx().RegisterMerchant("m1");
  const std::string a = h.fx().Accepted("m1", "A");
  h.fx().clock().Advance(72 * kHourMs + 1);
  std::promise<size_t> fired;
  bool set = false;
  Timekeeper tk(h.ledger(), 10, [&](const Result<size_t>& r) {
    h.server().RecordTick(r);
    if (!set && r.ok() && r.value() > 0) {
      set = true;
      fired.set_value(r.value());
    }
  });
  auto f = fired.get_future();
  REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  tk.Stop();
  CHECK(f.get() >= 1);
  CHECK(h.fx().Case(a).delays == 1);
  auto m = h.Get("/v1/merchants/m1");
  CHECK(m.Json()["delays"] == 1);
  auto metrics = h.Get("/metrics", h.Token(R::operator_, "centre"));
  CHECK(metrics.body.find("ledger_timekeeper_events_total 0") == std::string::npos);
  CHECK(metrics.body.find("ledger_timekeeper_events_total") != std::string::npos);
}

TEST_CASE(
    "/metrics counts commands by type and outcome, append latency, lag per partition and due "
    "timers",
    "[http][metrics]") {
  HttpFixture h;
  const std::string op = h.Token(R::operator_, "centre");
  REQUIRE(
      h.Post("/v1/merchants",
             R"({"merchant_id":"m1","name":"N","licence_date":"2024-01-01","domains":["n.ir"]})",
             op)
          .status == 200);
  REQUIRE(
      h.Post("/v1/merchants",
             R"({"merchant_id":"m1","name":"N","licence_date":"2024-01-01","domains":["n.ir"]})",
             op)
          .status == 409);
  auto m = h.Get("/metrics", op);
  REQUIRE(m.status == 200);
  CHECK(m.body.find("ledger_commands_total{type=\"RegisterMerchant\",outcome=\"ok\"} 1") !=
        std::string::npos);
  CHECK(m.body.find("ledger_commands_total{type=\"RegisterMerchant\",outcome=\"conflict\"} 1") !=
        std::string::npos);
  CHECK(m.body.find("ledger_append_seconds_count 2") != std::string::npos);
  CHECK(m.body.find("ledger_projection_lag_records{partition=\"0\"} 0") != std::string::npos);
  CHECK(m.body.find("ledger_timers_due 0") != std::string::npos);
  // Requests are counted once answered, just after the client has its answer.
  const std::string counted =
      "ledger_http_requests_total{route=\"/v1/merchants\",method=\"POST\",status=\"409\"} 1";
  for (int i = 0; i < 200 && m.body.find(counted) == std::string::npos; ++i)
    m = h.Get("/metrics", op);
  CHECK(m.body.find(counted) != std::string::npos);
}

TEST_CASE("Stopping the server ends open event streams", "[http][stream]") {
  auto h = std::make_unique<HttpFixture>();
  const std::string token = h->Token(R::operator_, "centre");
  auto stream = std::async(std::launch::async, [&] { return h->Get("/v1/events?wait=60", token); });
  // The stream is open once the server counts it.
  for (int i = 0; i < 500; ++i) {
    auto m = h->Get("/metrics", token);
    if (m.body.find("ledger_event_streams 1") != std::string::npos) break;
  }
  h->server().Stop();
  REQUIRE(stream.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(stream.get().status == 200);
  h.reset();
}
