// http_load: a mixed workload against a running `ledger serve`, from its own
// process: consumers file complaints and accept answers, the operator
// verifies transactions, merchants respond, and everyone reads (cases,
// histories, public profiles, rankings, tracking). Retries a 429 after
// Retry-After with the same Idempotency-Key. Prints one JSON object:
// requests and statuses by kind, latency percentiles, and every refusal that
// was not expected; writes each acknowledged command (id and event count)
// as JSON lines to --acked.
//
//   http_load --port P --tokens tokens.json --seconds 60 --threads 8 --acked acked.jsonl
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace {

using Clock = std::chrono::steady_clock;

struct Tokens {
  std::vector<std::string> operators;
  std::vector<std::string> merchants;  // token of merchant m<i>
  std::vector<std::string> consumers;  // token of consumer u<i>
};

struct Stats {
  std::mutex mu;
  std::map<std::string, std::vector<double>> latency_ms;  // by kind
  std::map<std::string, std::map<int, uint64_t>> statuses;
  std::vector<std::string> unexpected;
  uint64_t rate_limited = 0;
  std::ofstream acked;
};

struct Case {
  std::string id, code;
  int merchant = 0, consumer = 0;
  int stage = 0;  // 0 filed, 1 accepted, 2 answered, 3 closed
};

class Worker {
 public:
  Worker(int n, int port, const Tokens& t, Stats& s, int merchants)
      : n_(n),
        client_("127.0.0.1", port),
        tokens_(t),
        stats_(s),
        rng_(1000 + n),
        merchants_(merchants) {
    client_.set_keep_alive(true);
    client_.set_tcp_nodelay(true);
    client_.set_read_timeout(30, 0);
  }

  void Run(Clock::time_point until) {
    while (Clock::now() < until) {
      const int dice = static_cast<int>(rng_() % 100);
      if (dice < 20 || cases_.empty()) {
        File();
      } else if (dice < 45) {
        Advance();
      } else {
        Read(dice);
      }
    }
  }

 private:
  // Sends until the answer is not 429; returns the final response (status -1 on transport failure).
  std::pair<int, std::string> Send(const std::string& kind, const std::string& method,
                                   const std::string& path, const std::string& token,
                                   const std::string& body, const std::string& key,
                                   std::initializer_list<int> expected) {
    for (int attempt = 0;; ++attempt) {
      httplib::Headers h;
      if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
      if (!key.empty()) h.emplace("Idempotency-Key", key);
      const auto start = Clock::now();
      auto r =
          method == "GET" ? client_.Get(path, h) : client_.Post(path, h, body, "application/json");
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      const int status = r ? r->status : -1;
      {
        std::lock_guard<std::mutex> lock(stats_.mu);
        stats_.latency_ms[kind].push_back(ms);
        ++stats_.statuses[kind][status];
        if (status == 429) ++stats_.rate_limited;
      }
      if (status == 429 && attempt < 100) {
        const int wait_s = std::max(1, std::atoi(r->get_header_value("Retry-After").c_str()));
        std::this_thread::sleep_for(std::chrono::milliseconds(
            std::min(wait_s * 1000, 200 + static_cast<int>(rng_() % 300))));
        continue;
      }
      if (std::find(expected.begin(), expected.end(), status) == expected.end()) {
        std::lock_guard<std::mutex> lock(stats_.mu);
        if (stats_.unexpected.size() < 50) {
          stats_.unexpected.push_back(
              fmt::format("{} {} -> {} {}", method, path, status,
                          r ? r->body.substr(0, 300) : httplib::to_string(r.error())));
        } else {
          stats_.unexpected.push_back("...");
        }
      }
      return {status, r ? r->body : ""};
    }
  }

  void Ack(const std::string& body) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("command_id")) return;
    std::lock_guard<std::mutex> lock(stats_.mu);
    stats_.acked << nlohmann::json({{"command_id", j["command_id"]},
                                    {"events", j["events"].size()},
                                    {"replayed", j.value("replayed", false)}})
                        .dump()
                 << "\n";
  }

  std::string Key() { return fmt::format("w{}-{}", n_, ++seq_); }
  // The centre's staff: each worker acts as one of them.
  const std::string& Op() const {
    return tokens_.operators[static_cast<size_t>(n_) % tokens_.operators.size()];
  }

  void File() {
    Case c;
    c.merchant = static_cast<int>(rng_() % merchants_);
    c.consumer = static_cast<int>(rng_() % tokens_.consumers.size());
    const std::string body = fmt::format(
        R"({{"merchant_id":"m{}","consumer_id":"u{}","reference_number":"RF-{}-{}","terminal":"T{}","purchase_date":"2025-01-15","amount":{},"invoice_number":"INV-{}","category":"non_delivery"}})",
        c.merchant, c.consumer, n_, seq_ + 1, n_, 1000 + rng_() % 100000, seq_ + 1);
    auto [status, reply] = Send("file", "POST", "/v1/complaints", tokens_.consumers[c.consumer],
                                body, Key(), {201, 200});
    if (status != 201 && status != 200) return;
    Ack(reply);
    auto j = nlohmann::json::parse(reply);
    c.id = j["case_id"];
    c.code = j["tracking"]["code"];
    cases_.push_back(c);
  }

  void Advance() {
    Case& c = cases_[rng_() % cases_.size()];
    const std::string base = "/v1/complaints/" + c.id;
    std::pair<int, std::string> r;
    switch (c.stage) {
      case 0:
        r = Send("verify", "POST", base + "/verify-transaction", Op(), "{}", Key(), {200});
        break;
      case 1:
        r = Send("respond", "POST", base + "/respond", tokens_.merchants[c.merchant],
                 R"({"message":"shipped"})", Key(), {200});
        break;
      case 2:
        r = Send("accept", "POST", base + "/accept", tokens_.consumers[c.consumer], "{}", Key(),
                 {200});
        break;
      default:
        return Read(99);
    }
    if (r.first == 200) {
      Ack(r.second);
      ++c.stage;
    }
  }

  void Read(int dice) {
    const Case& c = cases_[rng_() % cases_.size()];
    if (dice < 60) {
      Send("get_case", "GET", "/v1/complaints/" + c.id, tokens_.consumers[c.consumer], "", "",
           {200});
    } else if (dice < 70) {
      Send("history", "GET", "/v1/complaints/" + c.id + "/history", tokens_.merchants[c.merchant],
           "", "", {200});
    } else if (dice < 85) {
      Send("profile", "GET", fmt::format("/v1/merchants/m{}", c.merchant), "", "", "", {200});
    } else if (dice < 90) {
      Send("rankings", "GET", "/v1/rankings?by=complaints&limit=10", Op(), "", "", {200});
    } else {
      Send("track", "GET", "/v1/track/" + c.code, "", "", "", {200});
    }
  }

  int n_;
  httplib::Client client_;
  const Tokens& tokens_;
  Stats& stats_;
  std::mt19937_64 rng_;
  int merchants_;
  uint64_t seq_ = 0;
  std::vector<Case> cases_;
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Mixed HTTP load against ledger serve"};
  int port = 0, threads = 8;
  double seconds = 60;
  std::string tokens_file, acked_file = "acked.jsonl";
  app.add_option("--port", port)->required();
  app.add_option("--tokens", tokens_file,
                 "JSON: {operators: [...], merchants: [...], consumers: [...]}")
      ->required();
  app.add_option("--seconds", seconds)->capture_default_str();
  app.add_option("--threads", threads)->capture_default_str();
  app.add_option("--acked", acked_file)->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::ifstream in(tokens_file);
  std::stringstream ss;
  ss << in.rdbuf();
  const auto tj = nlohmann::json::parse(ss.str());
  Tokens tokens{tj["operators"], tj["merchants"], tj["consumers"]};
  const int merchants = static_cast<int>(tokens.merchants.size());

  Stats stats;
  stats.acked.open(acked_file, std::ios::trunc);
  {
    // The merchants, registered once (a rerun finds them: 409 is fine).
    httplib::Client c("127.0.0.1", port);
    for (int m = 0; m < merchants; ++m) {
      httplib::Headers h{{"Authorization", "Bearer " + tokens.operators[0]},
                         {"Idempotency-Key", fmt::format("register-m{}", m)}};
      auto r = c.Post(
          "/v1/merchants", h,
          fmt::format(
              R"({{"merchant_id":"m{}","name":"Shop {}","licence_date":"2024-01-01","domains":["m{}.example"]}})",
              m, m, m),
          "application/json");
      if (!r || (r->status != 200 && r->status != 409)) {
        std::cerr << "cannot register m" << m << ": "
                  << (r ? r->body : httplib::to_string(r.error())) << "\n";
        return 1;
      }
      if (r->status == 200) {
        auto j = nlohmann::json::parse(r->body);
        stats.acked << nlohmann::json({{"command_id", j["command_id"]},
                                       {"events", j["events"].size()},
                                       {"replayed", j.value("replayed", false)}})
                           .dump()
                    << "\n";
      }
    }
  }
  const auto start = Clock::now();
  const auto until = start + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      Worker w(i, port, tokens, stats, merchants);
      w.Run(until);
    });
  }
  for (auto& t : pool) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  nlohmann::json out;
  std::vector<double> all;
  uint64_t requests = 0;
  for (auto& [kind, v] : stats.latency_ms) {
    all.insert(all.end(), v.begin(), v.end());
    requests += v.size();
    nlohmann::json st;
    for (const auto& [code, n] : stats.statuses[kind]) st[std::to_string(code)] = n;
    out["by_kind"][kind] = {{"requests", v.size()},
                            {"statuses", st},
                            {"p50_ms", Percentile(v, 0.5)},
                            {"p99_ms", Percentile(v, 0.99)},
                            {"max_ms", v.empty() ? 0 : *std::max_element(v.begin(), v.end())}};
  }
  out["seconds"] = elapsed;
  out["threads"] = threads;
  out["requests"] = requests;
  out["requests_per_s"] = static_cast<double>(requests) / elapsed;
  out["p50_ms"] = Percentile(all, 0.5);
  out["p99_ms"] = Percentile(all, 0.99);
  out["max_ms"] = all.empty() ? 0 : all.back();
  out["rate_limited"] = stats.rate_limited;
  out["unexpected"] = stats.unexpected;
  std::cout << out.dump(2) << std::endl;
  return stats.unexpected.empty() ? 0 : 2;
}
