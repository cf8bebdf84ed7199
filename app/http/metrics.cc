#include "app/http/metrics.h"

#include <fmt/format.h>

namespace ledger {

std::string PromLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t i = 0;
  while (i < bounds_.size() && seconds > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += seconds;
  ++count_;
}

std::string Histogram::Render(const std::string& name, const std::string& labels) const {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string sep = labels.empty() ? "" : labels + ",";
  std::string out;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += fmt::format("{}_bucket{{{}le=\"{}\"}} {}\n", name, sep, bounds_[i], cumulative);
  }
  cumulative += counts_.back();
  out += fmt::format("{}_bucket{{{}le=\"+Inf\"}} {}\n", name, sep, cumulative);
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, braces, sum_, name, braces, count_);
  return out;
}

namespace {
std::vector<double> LatencyBounds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
}
}  // namespace

Metrics::Metrics() : append_latency_(LatencyBounds()), request_latency_(LatencyBounds()) {}

void Metrics::CountCommand(const std::string& type, const std::string& outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  ++commands_[{type, outcome}];
}

void Metrics::CountRequest(const std::string& route, const std::string& method, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, method, status}];
}

std::string Metrics::Render(const std::string& gauges) const {
  std::string out;
  out += "# HELP ledger_commands_total Commands received over HTTP, by type and outcome.\n";
  out += "# TYPE ledger_commands_total counter\n";
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [k, n] : commands_) {
      out += fmt::format("ledger_commands_total{{type=\"{}\",outcome=\"{}\"}} {}\n",
                         PromLabel(k.first), PromLabel(k.second), n);
    }
    out += "# HELP ledger_http_requests_total HTTP requests, by route, method and status.\n";
    out += "# TYPE ledger_http_requests_total counter\n";
    for (const auto& [k, n] : requests_) {
      out +=
          fmt::format("ledger_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                      PromLabel(std::get<0>(k)), std::get<1>(k), std::get<2>(k), n);
    }
  }
  out +=
      "# HELP ledger_append_seconds Time to decide, append durably and project one HTTP command.\n";
  out += "# TYPE ledger_append_seconds histogram\n";
  out += append_latency_.Render("ledger_append_seconds");
  out += "# HELP ledger_http_request_seconds Time to answer an HTTP request (streams excluded).\n";
  out += "# TYPE ledger_http_request_seconds histogram\n";
  out += request_latency_.Render("ledger_http_request_seconds");
  out += "# HELP ledger_timekeeper_events_total Events the background timekeeper appended.\n";
  out += "# TYPE ledger_timekeeper_events_total counter\n";
  out += fmt::format("ledger_timekeeper_events_total {}\n", timer_events_.load());
  out += "# HELP ledger_timekeeper_ticks_total Timekeeper rounds, by result.\n";
  out += "# TYPE ledger_timekeeper_ticks_total counter\n";
  out += fmt::format("ledger_timekeeper_ticks_total{{result=\"ok\"}} {}\n", ticks_.load());
  out += fmt::format("ledger_timekeeper_ticks_total{{result=\"error\"}} {}\n", tick_errors_.load());
  out += gauges;
  return out;
}

}  // namespace ledger
