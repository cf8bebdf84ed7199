// Layer app/http: the HTTP face of the ledger. It owns routes, tokens, rate
// limits and pages; it must never decide a rule or read the views' keys
// itself: it goes through app/ledger, projections/ queries and replay/.
//
// The ledger's HTTP service (`ledger serve`): JSON commands and queries under
// /v1, the public merchant profile and complaint tracking, a server-sent
// events stream, /metrics and /healthz. Built on cpp-httplib (thread per
// connection from a bounded pool). Routes, access rules, limits and the
// token format are documented in docs/http.md and docs/openapi.json.
//
// Every request but the public ones carries "Authorization: Bearer <token>"
// (app/http/token.h); the command's actor is the token's role and id,
// never the body. Refusals are 4xx with {"error": "...", "code": "..."} and
// write nothing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/http/token.h"
#include "app/ledger/service.h"

namespace ledger {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                    // 0: any free port (Bind() says which)
  size_t max_body_bytes = 64 * 1024;  // larger bodies: 413
  int read_timeout_s = 10;            // a client slower than this is dropped
  int write_timeout_s = 10;
  int keep_alive_s = 5;
  size_t threads = 32;     // connections served at once
  size_t max_streams = 8;  // concurrent /v1/events streams (of the threads)
  int max_stream_s = 300;  // a stream is closed after this; clients resume
  double rate_per_s = 20;  // per caller; 0: no limit
  double burst = 40;
  double public_rate_per_s = 100;  // per client address, on routes without login
  double public_burst = 200;
  std::string public_url;  // for tracking links; default http://host:port
  bool access_log = true;  // JSON lines on stderr
};

// How a route is reached: without login, or with a bearer token.
enum class Access { kPublic, kToken };

struct RouteSpec {
  std::string method;  // GET or POST
  std::string path;    // OpenAPI template, e.g. /v1/complaints/{case_id}/respond
  Access access;
};

class HttpServer {
 public:
  // `ledger` and `signer` outlive the server.
  HttpServer(Ledger& ledger, const TokenSigner& signer, HttpOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listening socket; returns the port.
  Result<int> Bind();
  // Serves until Stop(). REQUIRES: Bind() succeeded.
  Status Serve();
  // Stops accepting, ends open streams, returns at once. Thread-safe.
  void Stop();

  // Tells waiting event streams that the log grew (the timekeeper calls it).
  void NotifyAppended();
  // Counts a timekeeper round in /metrics.
  void RecordTick(const Result<size_t>& r);

  // Every route the server answers, in registration order.
  static std::vector<RouteSpec> Routes();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ledger
