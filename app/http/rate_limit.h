// A token bucket per caller (a token's role:id, or the client address for
// public pages): `rate` requests a second on average, bursts of `burst`.
// Time is passed in (a monotonic reading in ms). Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ledger {

class RateLimiter {
 public:
  RateLimiter(double rate_per_s, double burst, size_t max_keys = 100000)
      : rate_(rate_per_s), burst_(burst), max_keys_(max_keys) {}

  // Takes one token from `key`'s bucket. Returns 0 when the request may go
  // on, else the milliseconds until a token will be there (for Retry-After).
  int64_t Take(const std::string& key, int64_t now_ms);
  double rate() const { return rate_; }
  double burst() const { return burst_; }

 private:
  struct Bucket {
    double tokens = 0;
    int64_t at_ms = 0;
  };
  std::mutex mu_;
  double rate_, burst_;
  size_t max_keys_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace ledger
