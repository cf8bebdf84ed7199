// The timekeeper of a long-running ledger: a background thread that asks the
// ledger to fire every timer due by the clock's now, once per interval, so
// deadlines, decays and reinstatements happen without any request. The
// ledger reads its own clock; this thread only decides when to ask.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "app/ledger/service.h"

namespace ledger {

class Timekeeper {
 public:
  // Called after each round with its result (events appended, or the error).
  using Observer = std::function<void(const Result<size_t>&)>;

  // Starts the thread. REQUIRES: interval_ms > 0; `ledger` outlives this.
  Timekeeper(Ledger& ledger, int64_t interval_ms, Observer observer = {});
  // Stops and joins the thread (a round in progress finishes first).
  ~Timekeeper();
  void Stop();

 private:
  void Run();
  Ledger& ledger_;
  const int64_t interval_ms_;
  Observer observer_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ledger
