#include "app/http/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace ledger {

int64_t RateLimiter::Take(const std::string& key, int64_t now_ms) {
  if (rate_ <= 0) return 0;  // limits off
  std::lock_guard<std::mutex> lock(mu_);
  if (buckets_.size() >= max_keys_ && !buckets_.count(key)) {
    // Bounded memory: forget the buckets that have refilled (they hold no debt).
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      const double refilled = it->second.tokens + (now_ms - it->second.at_ms) * rate_ / 1000.0;
      it = refilled >= burst_ ? buckets_.erase(it) : std::next(it);
    }
  }
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now_ms});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens =
        std::min(burst_, b.tokens + static_cast<double>(std::max<int64_t>(0, now_ms - b.at_ms)) *
                                        rate_ / 1000.0);
    b.at_ms = std::max(b.at_ms, now_ms);
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - b.tokens) * 1000.0 / rate_)));
}

}  // namespace ledger
