// Audit reads on an existing ledger: `--as-of` merchant profiles at random
// moments (half of them on the busiest merchants, half on merchants drawn
// uniformly) and case histories of random cases. Prints one JSON object with
// latency percentiles and peak RSS.
//
//   build/benchmarks/bench_audit --data DIR [--log URI] [--queries N] [--seed S]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/ledger/command_codec.h"
#include "events/codec.h"
#include "events/open_log.h"
#include "projections/store.h"
#include "projections/views.h"
#include "replay/event_json.h"
#include "replay/history.h"
#include "replay/replay.h"

using namespace ledger;

namespace {

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

nlohmann::json Summary(const std::vector<double>& ms) {
  return {{"queries", ms.size()},
          {"p50_ms", Percentile(ms, 0.50)},
          {"p99_ms", Percentile(ms, 0.99)},
          {"max_ms", Percentile(ms, 1.0)}};
}

template <typename F>
double ElapsedMs(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

int Fail(const Status& s) {
  fmt::print(stderr, "bench_audit: {}\n", s.message());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data, log_uri;
  size_t queries = 1000;
  uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--data"))
      data = argv[i + 1];
    else if (!std::strcmp(argv[i], "--log"))
      log_uri = argv[i + 1];
    else if (!std::strcmp(argv[i], "--queries"))
      queries = std::stoul(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed"))
      seed = std::stoull(argv[i + 1]);
  }
  if (data.empty()) {
    fmt::print(stderr, "usage: bench_audit --data DIR [--log URI] [--queries N] [--seed S]\n");
    return 2;
  }
  const LogLocation where{log_uri, data, 6};
  auto log = OpenEventLog(where);
  if (!log.ok()) return Fail(log.status());
  auto views = ViewStore::Open(ViewsDirFor(where));
  if (!views.ok()) return Fail(views.status());
  auto max_time = views.value()->Get(Cf::kMeta, keys::kMaxTime);
  if (!max_time.ok() || !max_time.value())
    return Fail(Status::NotFound(fmt::format("{} holds no events", data)));
  const TimeMs end = static_cast<TimeMs>(DecodeU64(**max_time));

  // Merchants with their event counts; cases sampled from the cases family.
  std::vector<std::pair<uint64_t, std::string>> merchants;
  TimeMs begin = end;
  for (const auto& [id, bytes] : views.value()->Scan(Cf::kMerchants, "", SIZE_MAX).value()) {
    auto m = DecodeMerchantState(bytes);
    if (!m.ok()) return Fail(m.status());
    merchants.emplace_back(m.value()->events, id);
  }
  if (merchants.empty()) return Fail(Status::NotFound("no merchants"));
  // Moments between the log's first event and its last.
  for (PartitionId p = 0; p < log.value()->partitions(); ++p) {
    auto first = log.value()->Read(p, 0, 1);
    if (!first.ok()) return Fail(first.status());
    if (first.value().empty()) continue;
    auto e = DecodeEvent(first.value()[0].bytes);
    if (!e.ok()) return Fail(e.status());
    begin = std::min(begin, e.value()->occurred_at_ms());
  }
  std::sort(merchants.rbegin(), merchants.rend());
  std::vector<std::string> cases;
  for (const auto& [id, unused] : views.value()->Scan(Cf::kCases, "", 200000).value())
    cases.push_back(id);

  std::mt19937_64 rng(seed);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  std::uniform_int_distribution<TimeMs> moment(begin, end);
  const size_t busiest = std::min<size_t>(10, merchants.size());
  std::vector<double> as_of_ms, busiest_ms, history_ms;
  uint64_t folded_events = 0, not_registered = 0;
  for (size_t q = 0; q < queries; ++q) {
    const bool heavy = q % 2 == 0;
    const std::string& id =
        heavy ? merchants[pick(busiest)].second : merchants[pick(merchants.size())].second;
    const TimeMs at = moment(rng);
    Status status;
    const double ms = ElapsedMs([&] {
      auto m = MerchantAsOf(*log.value(), *views.value(), id, at);
      if (!m.ok() && m.status().code() != Code::kNotFound) status = m.status();
      if (!m.ok() && m.status().code() == Code::kNotFound) ++not_registered;
    });
    if (!status.ok()) return Fail(status);
    (heavy ? busiest_ms : as_of_ms).push_back(ms);
  }

  EventJson renderer;
  for (size_t q = 0; q < std::min(queries, cases.size()); ++q) {
    const std::string& id = cases[pick(cases.size())];
    Status status;
    history_ms.push_back(ElapsedMs([&] {
      auto h = CaseHistory(*log.value(), *views.value(), id, renderer);
      if (!h.ok())
        status = h.status();
      else
        folded_events += h.value().size();
    }));
    if (!status.ok()) return Fail(status);
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::vector<double> all = as_of_ms;
  all.insert(all.end(), busiest_ms.begin(), busiest_ms.end());
  nlohmann::json out{
      {"benchmark", "audit"},
      {"merchants", merchants.size()},
      {"busiest_merchant_events", merchants.front().first},
      {"as_of", Summary(all)},
      {"as_of_before_registration", not_registered},
      {"as_of_uniform_merchants", Summary(as_of_ms)},
      {"as_of_busiest_10_merchants", Summary(busiest_ms)},
      {"history", Summary(history_ms)},
      {"history_events_per_case", history_ms.empty() ? 0.0
                                                     : static_cast<double>(folded_events) /
                                                           static_cast<double>(history_ms.size())},
      {"peak_rss_mib", static_cast<double>(ru.ru_maxrss) / 1024.0}};
  fmt::print("{}\n", out.dump());
  return 0;
}
