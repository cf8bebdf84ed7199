// The service's own measurements, rendered in the Prometheus text format
// (version 0.0.4) at /metrics. Thread-safe; counters only grow.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace ledger {

// A histogram with fixed upper bounds (seconds).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double seconds);
  // "<name>_bucket{le=...} n" ... "<name>_sum", "<name>_count".
  std::string Render(const std::string& name, const std::string& labels = "") const;

 private:
  mutable std::mutex mu_;
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bound, plus +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();
  // One command through the service: its type and outcome code ("ok",
  // "rejected", "permission_denied", "replayed", ...).
  void CountCommand(const std::string& type, const std::string& outcome);
  // One HTTP request: route pattern, method and status.
  void CountRequest(const std::string& route, const std::string& method, int status);
  Histogram& append_latency() { return append_latency_; }
  Histogram& request_latency() { return request_latency_; }
  void CountTimerEvents(uint64_t n) { timer_events_ += n; }
  void CountTick(bool ok) { (ok ? ticks_ : tick_errors_) += 1; }

  // Everything gathered so far plus the gauges given (already rendered lines).
  std::string Render(const std::string& gauges) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, uint64_t> commands_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  Histogram append_latency_;
  Histogram request_latency_;
  std::atomic<uint64_t> timer_events_{0}, ticks_{0}, tick_errors_{0};
};

// A label value escaped for the text format.
std::string PromLabel(const std::string& v);

}  // namespace ledger
