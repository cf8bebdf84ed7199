#include "app/ledger/timekeeper.h"

#include <chrono>

namespace ledger {

Timekeeper::Timekeeper(Ledger& ledger, int64_t interval_ms, Observer observer)
    : ledger_(ledger),
      interval_ms_(interval_ms),
      observer_(std::move(observer)),
      thread_([this] { Run(); }) {}

Timekeeper::~Timekeeper() { Stop(); }

void Timekeeper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Timekeeper::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    auto r = ledger_.Tick();
    if (observer_) observer_(r);
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stop_; });
  }
}

}  // namespace ledger
