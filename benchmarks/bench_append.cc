// Durable appends to the embedded log: records/s and latency percentiles with
// 1..N concurrent writers, each append synced (group commit shares syncs).
// Prints one JSON object per configuration.
//
//   build/benchmarks/bench_append [--records N] [--threads 1,4,16] [--dir DIR]
#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "events/codec.h"
#include "events/embedded_log.h"

using namespace ledger;

namespace {

std::string Record(const std::string& merchant, int n) {
  fb::EventT e;
  e.event_id = fmt::format("bench/{}", n);
  e.partition_key = merchant;
  e.stream_id = "merchant/" + merchant;
  e.stream_version = static_cast<uint64_t>(n);
  e.occurred_at_ms = 1'700'000'000'000 + n;
  e.prev_hash.assign(32, 0);
  fb::ViolationRecordedT p;
  p.merchant_id = merchant;
  p.level = 1;
  p.rule = "benchmark record of a typical size for a small event";
  e.payload.Set(std::move(p));
  return EncodeEvent(e);
}

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  int records = 20000;
  std::vector<int> thread_counts = {1, 4, 16, 64};
  std::string base = std::filesystem::temp_directory_path() / "ledger-bench-append";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--records")) records = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dir")) base = argv[i + 1];
    if (!std::strcmp(argv[i], "--threads")) {
      thread_counts.clear();
      for (char* t = std::strtok(argv[i + 1], ","); t; t = std::strtok(nullptr, ","))
        thread_counts.push_back(std::atoi(t));
    }
  }
  for (int threads : thread_counts) {
    const std::string dir = fmt::format("{}-{}", base, threads);
    std::filesystem::remove_all(dir);
    auto log = EmbeddedLog::Open(dir).value();
    const int per_thread = records / threads;
    std::vector<std::vector<double>> lat(threads);
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        const std::string merchant = fmt::format("m-{}", t);
        for (int i = 0; i < per_thread; ++i) {
          std::string rec = Record(merchant, i);
          const auto t0 = std::chrono::steady_clock::now();
          auto r = log->Append({{merchant, std::move(rec)}});
          const auto t1 = std::chrono::steady_clock::now();
          if (!r.ok()) {
            fmt::print(stderr, "append failed: {}\n", r.status().ToString());
            std::exit(1);
          }
          lat[t].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
      });
    }
    for (auto& th : pool) th.join();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<double> all;
    for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
    const uint64_t syncs = log->sync_count();
    nlohmann::json j{
        {"benchmark", "embedded_append_durable"},
        {"threads", threads},
        {"records", all.size()},
        {"seconds", secs},
        {"records_per_s", static_cast<double>(all.size()) / secs},
        {"syncs", syncs},
        {"records_per_sync", static_cast<double>(all.size()) / static_cast<double>(syncs)},
        {"latency_ms",
         {{"p50", Percentile(all, 0.5)},
          {"p99", Percentile(all, 0.99)},
          {"p999", Percentile(all, 0.999)}}}};
    fmt::print("{}\n", j.dump());
    log.reset();
    std::filesystem::remove_all(dir);
  }
  return 0;
}
