// Durable ingest through the command path (parse, decide, append synced,
// project): complaints filed by concurrent callers, each submitting one
// command at a time through Ledger::Submit (which group-commits them), at
// full speed and at a fixed rate (open loop: command n is due at start +
// n / rate, and its latency counts from that moment, so queueing is
// included). Prints one JSON object per configuration.
//
//   build/benchmarks/bench_ingest [--commands N] [--threads T] [--rate R] [--dir DIR]
//                                 [--log kafka://HOST:PORT/TOPIC]
//     --rate 0 is full speed; --log defaults to the embedded log under DIR.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/ledger/service.h"
#include "events/embedded_log.h"

using namespace ledger;
using Steady = std::chrono::steady_clock;

namespace {

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

constexpr uint32_t kMerchants = 1000;

std::string Filing(uint64_t n) {
  const uint32_t m = static_cast<uint32_t>(n % kMerchants);
  return fmt::format(
      R"({{"merchant_id":"m{}","consumer_id":"u{}","reference_number":"R{}","terminal":"T1",)"
      R"("purchase_date":"2026-01-01","amount":{},"invoice_number":"I{}","category":"non_delivery"}})",
      m, n, n, 1000 + n, n);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t commands = 20000;
  unsigned threads = 16;
  double rate = 0;
  std::string dir = std::filesystem::temp_directory_path() / "ledger-bench-ingest";
  std::string log_uri;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--commands"))
      commands = std::stoull(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads"))
      threads = static_cast<unsigned>(std::stoul(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--rate"))
      rate = std::stod(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--dir"))
      dir = argv[i + 1];
    else if (!std::strcmp(argv[i], "--log"))
      log_uri = argv[i + 1];
    else {
      fmt::print(stderr, "bench_ingest: unknown option {}\n", argv[i]);
      return 2;
    }
  }
  if (threads == 0) {
    fmt::print(stderr, "bench_ingest: --threads must be at least 1\n");
    return 2;
  }
  std::filesystem::remove_all(dir);
  // Every command at one fixed moment: the benchmark measures the write
  // path, and deadlines never come due.
  ManualClock clock(ParseTime("2026-06-01").value());
  LedgerOptions o;
  o.data_dir = dir;
  o.log_uri = log_uri;
  auto opened = Ledger::Open(o, clock);
  if (!opened.ok()) {
    fmt::print(stderr, "bench_ingest: {}\n", opened.status().message());
    return 1;
  }
  Ledger& ledger = *opened.value();
  {
    std::vector<ParsedCommand> merchants;
    for (uint32_t m = 0; m < kMerchants; ++m) {
      auto p = ledger.codec().ParseBody(
          fb::Command::RegisterMerchant,
          fmt::format(
              R"({{"merchant_id":"m{}","name":"Shop {}","licence_date":"2024-01-01","domains":["s{}.ir"],"star_level":"star2"}})",
              m, m, m),
          fmt::format("reg-{}", m), fb::Role::operator_, "centre");
      if (!p.ok()) {
        fmt::print(stderr, "bench_ingest: {}\n", p.status().message());
        return 1;
      }
      merchants.push_back(std::move(p.value()));
    }
    for (const auto& out : ledger.Submit(merchants)) {
      if (!out.status.ok()) {
        fmt::print(stderr, "bench_ingest: {}\n", out.status.message());
        return 1;
      }
    }
  }
  auto* embedded = dynamic_cast<EmbeddedLog*>(&ledger.log());
  const uint64_t syncs_before = embedded ? embedded->sync_count() : 0;
  std::atomic<uint64_t> next{0}, refused{0};
  std::vector<std::vector<double>> latencies(threads);
  const auto start = Steady::now();
  auto worker = [&](unsigned t) {
    for (uint64_t n = next++; n < commands; n = next++) {
      auto due = start;
      if (rate > 0) {
        due += std::chrono::duration_cast<Steady::duration>(
            std::chrono::duration<double>(static_cast<double>(n) / rate));
        std::this_thread::sleep_until(due);
      } else {
        due = Steady::now();
      }
      auto p =
          ledger.codec().ParseBody(fb::Command::FileComplaint, Filing(n), fmt::format("f-{}", n),
                                   fb::Role::consumer, fmt::format("u{}", n));
      if (!p.ok()) {
        ++refused;
      } else if (auto out = ledger.SubmitOne(p.value()); !out.status.ok()) {
        if (refused++ == 0) fmt::print(stderr, "bench_ingest: {}\n", out.status.message());
      }
      latencies[t].push_back(
          std::chrono::duration<double, std::milli>(Steady::now() - due).count());
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  for (auto& th : pool) th.join();
  const double seconds = std::chrono::duration<double>(Steady::now() - start).count();
  std::vector<double> all;
  for (auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  nlohmann::json j{{"benchmark", embedded ? "ingest_embedded_durable" : "ingest_kafka_durable"},
                   {"threads", threads},
                   {"target_rate", rate},
                   {"commands", commands},
                   {"refused", refused.load()},
                   {"seconds", seconds},
                   {"commands_per_s", static_cast<double>(commands) / seconds},
                   {"latency_ms",
                    {{"p50", Percentile(all, 0.5)},
                     {"p99", Percentile(all, 0.99)},
                     {"p999", Percentile(all, 0.999)}}},
                   {"peak_rss_mib", static_cast<double>(ru.ru_maxrss) / 1024.0}};
  if (embedded) {
    // Each group is one synced write of the log.
    const uint64_t syncs = embedded->sync_count() - syncs_before;
    j["log_syncs"] = syncs;
    j["commands_per_sync"] =
        syncs ? static_cast<double>(commands) / static_cast<double>(syncs) : 0.0;
  }
  fmt::print("{}\n", j.dump());
  opened.value().reset();
  std::filesystem::remove_all(dir);
  return 0;
}
