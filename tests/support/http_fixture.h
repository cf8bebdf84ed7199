// An HTTP server over a fresh ledger (manual clock) on 127.0.0.1, any free
// port, served from a thread; a client per call; tokens minted with the
// server's own key.
#pragma once

#include <httplib.h>

#include <thread>

#include "app/http/server.h"
#include "tests/support/fixture.h"

namespace ledger::test {

class HttpFixture {
 public:
  explicit HttpFixture(HttpOptions options = Defaults()) {
    auto s = TokenSigner::OpenOrCreate(TokenSigner::KeyPathFor(fx_.dir()));
    if (!s.ok()) throw std::runtime_error(s.status().ToString());
    signer_ = std::make_unique<TokenSigner>(std::move(s).value());
    options.port = 0;
    server_ = std::make_unique<HttpServer>(fx_.ledger(), *signer_, options);
    auto port = server_->Bind();
    if (!port.ok()) throw std::runtime_error(port.status().ToString());
    port_ = port.value();
    thread_ = std::thread([this] { served_ = server_->Serve(); });
  }
  ~HttpFixture() {
    server_->Stop();
    thread_.join();
  }

  static HttpOptions Defaults() {
    HttpOptions o;
    o.access_log = false;
    o.rate_per_s = 0;  // tests of the limit turn it on
    o.public_rate_per_s = 0;
    return o;
  }

  Fixture& fx() { return fx_; }
  Ledger& ledger() { return fx_.ledger(); }
  int port() const { return port_; }
  HttpServer& server() { return *server_; }
  const TokenSigner& signer() const { return *signer_; }
  const Status& served() const { return served_; }

  std::string Token(fb::Role role, const std::string& id, TimeMs ttl = kHourMs) {
    return signer_->Mint({role, id, fx_.clock().Now() + ttl}, fx_.clock().Now());
  }

  httplib::Client Client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c;
  }

  httplib::Headers Auth(const std::string& token, const std::string& key = "") {
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    if (!key.empty()) h.emplace("Idempotency-Key", key);
    return h;
  }

  // status and body; status -1 when the request failed.
  struct Reply {
    int status = -1;
    std::string body;
    httplib::Headers headers;
    nlohmann::json Json() const { return nlohmann::json::parse(body, nullptr, false); }
  };
  Reply Get(const std::string& path, const std::string& token = "") {
    auto c = Client();
    return Of(c.Get(path, Auth(token)));
  }
  Reply Post(const std::string& path, const std::string& body, const std::string& token,
             const std::string& key = "", const std::string& type = "application/json") {
    auto c = Client();
    return Of(c.Post(path, Auth(token, key), body, type));
  }

  // Records in the log, all partitions (the end offsets' sum on the embedded log).
  uint64_t LogLength() { return fx_.LogLength(); }

 private:
  static Reply Of(const httplib::Result& r) {
    Reply out;
    if (!r) return out;
    out.status = r->status;
    out.body = r->body;
    out.headers = r->headers;
    return out;
  }
  Fixture fx_;
  std::unique_ptr<TokenSigner> signer_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  int port_ = 0;
  Status served_;
};

}  // namespace ledger::test
