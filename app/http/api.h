// Inside the HTTP service: the state the handlers share and the route tables.
// Not a public header of the engine (app/http/server.h is).
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/http/metrics.h"
#include "app/http/rate_limit.h"
#include "app/http/server.h"
#include "engine/access.h"

namespace ledger::http {

// One request as a handler sees it.
struct Call {
  const httplib::Request& req;
  httplib::Response& res;
  const Principal* who = nullptr;  // set on kToken routes
  // The i-th path parameter (in the template's order).
  std::string Param(size_t i) const { return req.matches[static_cast<int>(i) + 1].str(); }
};

// The state the handlers share.
class Api {
 public:
  Api(Ledger& l, const TokenSigner& s, const HttpOptions& o)
      : ledger(l),
        signer(s),
        options(o),
        limiter(o.rate_per_s, o.burst),
        public_limiter(o.public_rate_per_s, o.public_burst) {}

  Ledger& ledger;
  const TokenSigner& signer;
  HttpOptions options;
  Metrics metrics;
  RateLimiter limiter;         // per token
  RateLimiter public_limiter;  // per client address, routes without login
  std::atomic<size_t> open_streams{0};
  std::atomic<bool> stopping{false};

  // Wakes event streams when the log grew.
  void NotifyAppended();
  // Waits up to `ms` for a NotifyAppended after `seen`; returns the latest count.
  uint64_t WaitAppended(uint64_t seen, int ms);
  uint64_t appended() const { return appended_.load(); }
  // A stream ended; Stop() waits for all of them (up to `ms`).
  void StreamClosed();
  void WaitStreamsClosed(int ms);

  // Where tracking links point.
  std::string PublicUrl() const;

 private:
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  std::atomic<uint64_t> appended_{0};
};

using Handler = void (*)(Api&, Call&);
struct Route {
  RouteSpec spec;
  Handler handler;
};

// The route tables, by concern.
std::vector<Route> CommandRoutes();
std::vector<Route> QueryRoutes();
std::vector<Route> PublicRoutes();
std::vector<Route> StreamRoutes();

// Runs the route's handler for a request the route matched: refuses (400)
// path or query parameters that are not UTF-8 text, and answers 500 for an
// exception (a handler refuses bad input itself; an exception is a bug).
void Dispatch(Api& api, const Route& route, Call& call);

// Responses.
void SendJson(Call& call, int status, const nlohmann::json& body);
void SendError(Call& call, int status, const std::string& code, const std::string& message);
// A Status as its HTTP status and {"error", "code"}.
void SendStatus(Call& call, const Status& status);
int HttpStatusOf(Code code);

// Access to one case (engine/access.h MayReadCase). Sends 404 or 403 and
// returns null when refused.
std::unique_ptr<CaseState> CaseFor(Api& api, Call& call, const std::string& case_id);
// Only the roles that may read `what` (engine/access.h): sends 403 naming
// the route and returns false otherwise.
bool RequireRole(Call& call, Overview what);

}  // namespace ledger::http
