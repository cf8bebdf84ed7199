// The EventLog contract, run on both implementations (EmbeddedLog and
// KafkaLog), and what only Kafka has: fencing of a second writer with the same
// transactional id, and a broker restart during appends.
//
// The Kafka tests are tagged [kafka] and need a broker: LEDGER_KAFKA_BOOTSTRAP
// (host:port, e.g. from `scripts/kafka-broker.sh start DIR`); the restart test
// also needs LEDGER_KAFKA_DIR (that DIR). Without them they warn and pass.
// Each test uses a topic of its own.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <catch2/catch.hpp>

#include "events/codec.h"
#include "events/embedded_log.h"
#include "events/kafka_log.h"
#include "tests/support/fixture.h"

using namespace ledger;
using namespace ledger::test;

namespace {

using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

std::string EventId(const LogRecord& r) {
  return DecodeEvent(r.bytes, r.partition, r.offset).value()->event_id()->str();
}

// Checks that each record's prev_hash is the hash of the record before it (the
// first one's is `head`); returns the hash of the last.
Hash32 CheckChain(const std::vector<LogRecord>& recs, Hash32 head = ZeroHash()) {
  for (const auto& r : recs) {
    auto e = DecodeEvent(r.bytes, r.partition, r.offset);
    REQUIRE(e.ok());
    INFO("partition " << r.partition << " offset " << r.offset);
    CHECK(std::equal(head.begin(), head.end(), e.value()->prev_hash()->begin()));
    head = HashRecord(r.bytes);
  }
  return head;
}

template <typename T>
T ValueOf(Result<T> r) {
  if (!r.ok()) FAIL(r.status().ToString());
  return std::move(r).value();
}

// Every committed record of a partition.
std::vector<LogRecord> ReadAll(EventLog& log, PartitionId p) {
  std::vector<LogRecord> all;
  Offset from = 0;
  for (;;) {
    auto batch = ValueOf(log.Read(p, from, 1000));
    if (batch.empty()) return all;
    from = batch.back().offset + 1;
    for (auto& r : batch) all.push_back(std::move(r));
  }
}

std::string RandomSuffix() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

// Opens (and reopens) one log of one implementation.
class LogFactory {
 public:
  virtual ~LogFactory() = default;
  // `partitions` counts only when the log is created.
  virtual std::unique_ptr<EventLog> Open(uint32_t partitions) = 0;
  virtual uint64_t SyncCount(EventLog& log) = 0;
};

class EmbeddedFactory final : public LogFactory {
 public:
  EmbeddedFactory() : dir_(TempDir("contract")) {}
  ~EmbeddedFactory() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::unique_ptr<EventLog> Open(uint32_t partitions) override {
    return ValueOf(EmbeddedLog::Open(dir_, {.partitions = partitions}));
  }
  uint64_t SyncCount(EventLog& log) override {
    return dynamic_cast<EmbeddedLog&>(log).sync_count();
  }

 private:
  std::string dir_;
};

std::optional<std::string> KafkaBootstrap() {
  const char* b = std::getenv("LEDGER_KAFKA_BOOTSTRAP");
  if (b == nullptr || *b == '\0') return std::nullopt;
  return std::string(b);
}

constexpr const char* kSkipped =
    "SKIPPED: Kafka test not run: LEDGER_KAFKA_BOOTSTRAP is not set (start a broker with "
    "`scripts/kafka-broker.sh start DIR` and export its address)";

KafkaLogOptions TestOptions(const std::string& bootstrap, const std::string& tag) {
  KafkaLogOptions o;
  o.bootstrap = bootstrap;
  o.topic = fmt::format("ledger-test-{}-{}", tag, RandomSuffix());
  o.message_timeout_ms = 30000;
  o.transaction_timeout_ms = 30000;
  o.operation_timeout_ms = 30000;
  o.read_timeout_ms = 15000;
  return o;
}

class KafkaFactory final : public LogFactory {
 public:
  static std::unique_ptr<KafkaFactory> FromEnv(const std::string& tag) {
    auto b = KafkaBootstrap();
    if (!b) return nullptr;
    return std::make_unique<KafkaFactory>(TestOptions(*b, tag));
  }
  explicit KafkaFactory(KafkaLogOptions o) : options_(std::move(o)) {}
  std::unique_ptr<EventLog> Open(uint32_t partitions) override {
    KafkaLogOptions o = options_;
    o.partitions = partitions;
    return ValueOf(KafkaLog::Open(o));
  }
  uint64_t SyncCount(EventLog& log) override { return dynamic_cast<KafkaLog&>(log).sync_count(); }

 private:
  KafkaLogOptions options_;
};

// ---- the contract ------------------------------------------------------------------

void OffsetsIncreaseAndHashesChain(LogFactory& f) {
  auto log = f.Open(4);
  REQUIRE(log->partitions() == 4);
  // Two appends, so Kafka puts a transaction marker between them.
  std::vector<std::pair<std::string, Position>> appended;  // key, position
  for (int round = 0; round < 2; ++round) {
    std::vector<PendingRecord> batch;
    std::vector<std::string> keys;
    for (int i = 0; i < 5; ++i) {
      batch.push_back({"m-a", MakeRecord("m-a", round * 5 + i)});
      keys.push_back("m-a");
    }
    batch.push_back({"m-b", MakeRecord("m-b", round)});
    keys.push_back("m-b");
    auto pos = ValueOf(log->Append(std::move(batch)));
    REQUIRE(pos.size() == keys.size());
    for (size_t i = 0; i < pos.size(); ++i) appended.push_back({keys[i], pos[i]});
  }
  std::map<PartitionId, std::vector<Position>> by_partition;
  for (const auto& [key, pos] : appended) {
    CHECK(pos.partition == PartitionFor(key, 4));
    auto& list = by_partition[pos.partition];
    if (!list.empty()) CHECK(pos.offset > list.back().offset);
    list.push_back(pos);
  }
  for (const auto& [p, positions] : by_partition) {
    auto recs = ReadAll(*log, p);
    REQUIRE(recs.size() == positions.size());
    CheckChain(recs);
    for (size_t i = 0; i < recs.size(); ++i) {
      CHECK(recs[i].partition == p);
      CHECK(recs[i].offset == positions[i].offset);
      CHECK(HashRecord(recs[i].bytes) == positions[i].hash);
    }
    const Offset end = ValueOf(log->EndOffset(p));
    CHECK(end > recs.back().offset);
    CHECK(ValueOf(log->Read(p, end, 10)).empty());
  }
  CHECK(log->Read(4, 0, 1).status().code() == Code::kInvalidArgument);
  CHECK(log->EndOffset(4).status().code() == Code::kInvalidArgument);
}

void PartitionsFollowPartitionFor(LogFactory& f) {
  auto log = f.Open(6);
  const uint32_t n = log->partitions();
  REQUIRE(n == 6);
  std::vector<PendingRecord> batch;
  for (int m = 0; m < 40; ++m) {
    const std::string key = fmt::format("merchant-{}", m);
    batch.push_back({key, MakeRecord(key, 0)});
  }
  std::vector<std::string> keys;
  for (const auto& r : batch) keys.push_back(r.partition_key);
  auto pos = ValueOf(log->Append(std::move(batch)));
  REQUIRE(pos.size() == keys.size());
  for (size_t i = 0; i < pos.size(); ++i) CHECK(pos[i].partition == PartitionFor(keys[i], n));
  size_t seen = 0;
  for (PartitionId p = 0; p < n; ++p) {
    for (const auto& r : ReadAll(*log, p)) {
      const auto* e = DecodeEvent(r.bytes, r.partition, r.offset).value();
      CHECK(PartitionFor(e->partition_key()->string_view(), n) == p);
      ++seen;
    }
  }
  CHECK(seen == keys.size());
}

void ReopenContinuesTheChain(LogFactory& f) {
  Hash32 head;
  Position last;
  {
    auto log = f.Open(2);
    auto pos = ValueOf(log->Append({{"m", MakeRecord("m", 1)}, {"m", MakeRecord("m", 2)}}));
    head = pos.back().hash;
    last = pos.back();
  }
  auto log = f.Open(8);  // the count is the log's own
  CHECK(log->partitions() == 2);
  auto pos = ValueOf(log->Append({{"m", MakeRecord("m", 3)}}));
  CHECK(pos[0].partition == last.partition);
  CHECK(pos[0].offset > last.offset);
  auto recs = ValueOf(log->Read(pos[0].partition, pos[0].offset, 1));
  REQUIRE(recs.size() == 1);
  const auto* e = DecodeEvent(recs[0].bytes).value();
  CHECK(std::equal(head.begin(), head.end(), e->prev_hash()->begin()));
  auto all = ReadAll(*log, pos[0].partition);
  CHECK(all.size() == 3);
  CHECK(CheckChain(all) == pos[0].hash);
}

void ConcurrentAppendsLoseNothing(LogFactory& f) {
  auto log = f.Open(3);
  const uint64_t syncs_before = f.SyncCount(*log);
  constexpr int kThreads = 8, kPerThread = 50;
  std::mutex mu;
  std::vector<std::string> errors;
  std::map<std::string, Position> acked;
  const auto t0 = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string m = fmt::format("m-{}", t);
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = fmt::format("t{}-{}", t, i);
        auto r = log->Append({{m, MakeRecord(m, i, id)}});
        std::lock_guard<std::mutex> lock(mu);
        if (r.ok() && r.value().size() == 1) {
          acked[id] = r.value()[0];
        } else {
          errors.push_back(r.ok() ? "wrong number of positions" : r.status().ToString());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const double secs = SecondsSince(t0);
  const uint64_t syncs = f.SyncCount(*log) - syncs_before;
  fmt::print(stderr, "{}: {} appends from {} threads in {:.2f} s = {:.0f} appends/s, {} commits\n",
             log->Describe(), kThreads * kPerThread, kThreads, secs, kThreads * kPerThread / secs,
             syncs);
  CHECK(errors.empty());
  if (!errors.empty()) FAIL_CHECK(errors.front());
  std::set<std::string> ids;
  for (PartitionId p = 0; p < log->partitions(); ++p) {
    auto recs = ReadAll(*log, p);
    CheckChain(recs);
    for (const auto& r : recs) {
      const std::string id = EventId(r);
      CHECK(ids.insert(id).second);
      auto it = acked.find(id);
      REQUIRE(it != acked.end());
      CHECK(it->second.partition == p);
      CHECK(it->second.offset == r.offset);
      CHECK(it->second.hash == HashRecord(r.bytes));
    }
  }
  CHECK(ids.size() == static_cast<size_t>(kThreads * kPerThread));
  // Every append waited for a commit, but fewer commits than appends were needed.
  CHECK(syncs < static_cast<uint64_t>(kThreads * kPerThread));
}

void ReadFromTheMiddle(LogFactory& f) {
  auto log = f.Open(1);
  for (int a = 0; a < 4; ++a) {
    std::vector<PendingRecord> batch;
    for (int i = 0; i < 5; ++i) batch.push_back({"m", MakeRecord("m", a * 5 + i)});
    REQUIRE(ValueOf(log->Append(std::move(batch))).size() == 5);
  }
  auto all = ValueOf(log->Read(0, 0, 100));
  REQUIRE(all.size() == 20);
  auto mid = ValueOf(log->Read(0, all[7].offset, 3));
  REQUIRE(mid.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(mid[i].offset == all[7 + i].offset);
    CHECK(mid[i].bytes == all[7 + i].bytes);
  }
  // From just after the last record of the first append (in Kafka: its
  // transaction marker) the next record is the first of the second append.
  auto next = ValueOf(log->Read(0, all[4].offset + 1, 1));
  REQUIRE(next.size() == 1);
  CHECK(next[0].offset == all[5].offset);
  CHECK(ValueOf(log->Read(0, all.back().offset, 10)).size() == 1);
  CHECK(ValueOf(log->Read(0, all.back().offset + 1, 10)).empty());
  CHECK(ValueOf(log->Read(0, all[3].offset, 0)).empty());
}

}  // namespace

#define LEDGER_CONTRACT_TEST(name, fn)                          \
  TEST_CASE("EmbeddedLog contract: " name, "[log][contract]") { \
    EmbeddedFactory f;                                          \
    fn(f);                                                      \
  }                                                             \
  TEST_CASE("KafkaLog contract: " name, "[kafka][contract]") {  \
    auto f = KafkaFactory::FromEnv(#fn);                        \
    if (!f) {                                                   \
      WARN(kSkipped);                                           \
      return;                                                   \
    }                                                           \
    fn(*f);                                                     \
  }

LEDGER_CONTRACT_TEST("appends get increasing offsets per partition and chain their hashes",
                     OffsetsIncreaseAndHashesChain)
LEDGER_CONTRACT_TEST("records go to the partition PartitionFor names", PartitionsFollowPartitionFor)
LEDGER_CONTRACT_TEST("a reopened log continues the chain", ReopenContinuesTheChain)
LEDGER_CONTRACT_TEST("concurrent appends from 8 threads are grouped and lose nothing",
                     ConcurrentAppendsLoseNothing)
LEDGER_CONTRACT_TEST("reads from the middle", ReadFromTheMiddle)

// ---- Kafka only ---------------------------------------------------------------------

TEST_CASE("KafkaLog: a second writer with the same transactional id fences the first",
          "[kafka][fencing]") {
  auto bootstrap = KafkaBootstrap();
  if (!bootstrap) {
    WARN(kSkipped);
    return;
  }
  const KafkaLogOptions o = TestOptions(*bootstrap, "fence");
  auto first = ValueOf(KafkaLog::Open(o));
  CHECK(first->Describe() == fmt::format("kafka://{}/{}", *bootstrap, o.topic));
  const Position a = ValueOf(first->Append({{"m", MakeRecord("m", 0, "first-before")}}))[0];

  // Opening alone fences nobody: a log is opened to be read too.
  auto second = ValueOf(KafkaLog::Open(o));
  const Position b =
      ValueOf(first->Append({{"m", MakeRecord("m", 1, "first-while-second-reads")}}))[0];
  CHECK(b.offset > a.offset);
  CHECK(ReadAll(*second, a.partition).size() == 2);
  // The second one's first Append opens its producer and fences the first.
  const Position c = ValueOf(second->Append({{"m", MakeRecord("m", 2, "second")}}))[0];
  auto t0 = SteadyClock::now();
  auto fenced = first->Append({{"m", MakeRecord("m", 3, "first-after")}});
  const double fenced_secs = SecondsSince(t0);
  REQUIRE_FALSE(fenced.ok());
  INFO(fenced.status().ToString());
  CHECK(fenced.status().code() == Code::kConflict);
  CHECK(fenced.status().message().find("fenced") != std::string::npos);
  CHECK(first->transactional_id() == "ledger-writer-" + o.topic);
  CHECK(fenced.status().message().find(first->transactional_id()) != std::string::npos);
  CHECK(fenced_secs < 30);
  // It stays fenced, and says so at once.
  t0 = SteadyClock::now();
  auto again = first->Append({{"m", MakeRecord("m", 4, "first-again")}});
  CHECK(again.status().code() == Code::kConflict);
  CHECK(SecondsSince(t0) < 1);

  const Position d = ValueOf(second->Append({{"m", MakeRecord("m", 5, "second-again")}}))[0];
  CHECK(c.partition == a.partition);
  CHECK(c.offset > b.offset);
  CHECK(d.offset > c.offset);
  for (EventLog* reader :
       {static_cast<EventLog*>(second.get()), static_cast<EventLog*>(first.get())}) {
    auto recs = ReadAll(*reader, a.partition);
    std::vector<std::string> ids;
    for (const auto& r : recs) ids.push_back(EventId(r));
    CHECK(ids == std::vector<std::string>{"first-before", "first-while-second-reads", "second",
                                          "second-again"});
    CHECK(CheckChain(recs) == d.hash);
  }
  fmt::print(stderr, "fenced append failed after {:.3f} s: {}\n", fenced_secs,
             fenced.status().ToString());
}

// A transaction another producer leaves open on the ledger's topic holds
// every read_committed reader before it: the records the ledger commits after
// it are written but not readable. EndOffsetAtLeast waits for it, names it
// when it outlasts the wait, and goes on once it ends.
TEST_CASE("KafkaLog: an open transaction on the topic is waited for, named, then passed",
          "[kafka][open-txn]") {
  auto bootstrap = KafkaBootstrap();
  if (!bootstrap) {
    WARN(kSkipped);
    return;
  }
  KafkaLogOptions o = TestOptions(*bootstrap, "opentxn");
  o.partitions = 1;
  o.message_timeout_ms = 3000;
  o.transaction_timeout_ms = 3000;  // the wait for an open transaction: 3 s + 20 s
  o.operation_timeout_ms = 5000;
  auto log = ValueOf(KafkaLog::Open(o));
  const Position a = ValueOf(log->Append({{"m", MakeRecord("m", 0, "before")}}))[0];

  // The other producer: its transaction outlives the ledger's wait.
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] :
       std::vector<std::pair<std::string, std::string>>{{"bootstrap.servers", *bootstrap},
                                                        {"transactional.id", "other-" + o.topic},
                                                        {"transaction.timeout.ms", "120000"}}) {
    REQUIRE(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr) ==
            RD_KAFKA_CONF_OK);
  }
  rd_kafka_t* other = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  REQUIRE(other != nullptr);
  struct Destroy {
    rd_kafka_t* rk;
    ~Destroy() { rd_kafka_destroy(rk); }
  } destroy{other};
  auto ok = [](rd_kafka_error_t* e) {
    const std::string what = e ? rd_kafka_error_string(e) : "";
    if (e) rd_kafka_error_destroy(e);
    INFO(what);
    return e == nullptr;
  };
  REQUIRE(ok(rd_kafka_init_transactions(other, 30000)));
  REQUIRE(ok(rd_kafka_begin_transaction(other)));
  const std::string foreign = "not an event";
  REQUIRE(rd_kafka_producev(other, RD_KAFKA_V_TOPIC(o.topic.c_str()), RD_KAFKA_V_PARTITION(0),
                            RD_KAFKA_V_VALUE(const_cast<char*>(foreign.data()), foreign.size()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR);
  REQUIRE(rd_kafka_flush(other, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR);

  // The ledger commits after it; its record is written, not readable.
  const Position b = ValueOf(log->Append({{"m", MakeRecord("m", 1, "after")}}))[0];
  // a's commit marker, then the foreign record, then b.
  CHECK(b.offset == a.offset + 3);
  CHECK(ValueOf(log->EndOffset(0)) == a.offset + 2);
  CHECK(ValueOf(log->WrittenEnd(0)) >= b.offset + 1);

  auto t0 = SteadyClock::now();
  auto held = log->EndOffsetAtLeast(0, b.offset + 1);
  const double held_secs = SecondsSince(t0);
  REQUIRE_FALSE(held.ok());
  INFO(held.status().ToString());
  CHECK(held.status().code() == Code::kUnavailable);
  CHECK(held.status().message().find(fmt::format("partition 0: a transaction holding offset {}",
                                                 a.offset + 2)) != std::string::npos);
  CHECK(held.status().message().find("neither committed nor aborted") != std::string::npos);
  CHECK(held_secs >= 23);  // waited the transaction timeout and 20 s more
  CHECK(held_secs < 60);
  fmt::print(stderr, "open transaction named after {:.1f} s: {}\n", held_secs,
             held.status().ToString());

  // Once it ends, the wait is over and the ledger's records read on.
  rd_kafka_error_t* abort_error = nullptr;
  std::thread end_it([&] {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    abort_error = rd_kafka_abort_transaction(other, 30000);
  });
  t0 = SteadyClock::now();
  auto passed = log->EndOffsetAtLeast(0, b.offset + 1);
  end_it.join();
  REQUIRE(ok(abort_error));
  INFO(passed.status().ToString());
  REQUIRE(passed.ok());
  CHECK(passed.value() >= b.offset + 1);
  CHECK(SecondsSince(t0) >= 1.5);
  auto recs = ReadAll(*log, 0);
  std::vector<std::string> ids;
  for (const auto& r : recs) ids.push_back(EventId(r));
  CHECK(ids == std::vector<std::string>{"before", "after"});
  CHECK(CheckChain(recs) == b.hash);
}

TEST_CASE("KafkaLog: a broker restart during appends loses nothing acknowledged",
          "[kafka][restart]") {
  auto bootstrap = KafkaBootstrap();
  const char* kdir = std::getenv("LEDGER_KAFKA_DIR");
  if (!bootstrap || kdir == nullptr || *kdir == '\0') {
    WARN(
        "SKIPPED: Kafka restart test not run: it needs LEDGER_KAFKA_BOOTSTRAP and LEDGER_KAFKA_DIR "
        "(the broker's directory given to scripts/kafka-broker.sh start)");
    return;
  }
#ifdef LEDGER_SOURCE_DIR
  const std::filesystem::path root = LEDGER_SOURCE_DIR;
#else
  const std::filesystem::path root = std::filesystem::path(__FILE__).parent_path().parent_path();
#endif
  const auto script = root / "scripts" / "kafka-broker.sh";
  REQUIRE(std::filesystem::exists(script));

  KafkaLogOptions o = TestOptions(*bootstrap, "restart");
  o.partitions = 3;
  o.message_timeout_ms = 5000;
  o.transaction_timeout_ms = 10000;
  o.operation_timeout_ms = 8000;
  o.read_timeout_ms = 15000;
  auto log = ValueOf(KafkaLog::Open(o));

  constexpr int kWriters = 4;
  std::atomic<bool> stop{false};
  std::atomic<bool> restarted{false};
  std::mutex mu;
  std::map<std::string, Position> acked;
  std::set<std::string> attempted;
  int failed = 0, acked_after_restart = 0;
  double max_latency = 0, max_failed_latency = 0;
  std::map<Code, std::string> failure_kinds;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      const std::string m = fmt::format("m-{}", w);
      for (int i = 0; !stop.load(); ++i) {
        const std::string id = fmt::format("w{}-{}", w, i);
        {
          std::lock_guard<std::mutex> lock(mu);
          attempted.insert(id);
        }
        const auto t0 = SteadyClock::now();
        auto r = log->Append({{m, MakeRecord(m, i, id)}});
        const double secs = SecondsSince(t0);
        std::lock_guard<std::mutex> lock(mu);
        max_latency = std::max(max_latency, secs);
        if (r.ok()) {
          acked[id] = r.value().at(0);
          if (restarted.load()) ++acked_after_restart;
        } else {
          ++failed;
          max_failed_latency = std::max(max_failed_latency, secs);
          failure_kinds.emplace(r.status().code(), r.status().ToString());
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const std::string restart_log = TempDir("restart") + "/restart.log";
  const auto r0 = SteadyClock::now();
  // LEDGER_KAFKA_OUTAGE_SECONDS (default 0) keeps the broker down that long
  // between stop and start, to outlast every timeout of the writer.
  const char* outage = std::getenv("LEDGER_KAFKA_OUTAGE_SECONDS");
  const std::string command =
      outage && std::atoi(outage) > 0
          ? fmt::format(
                "'{0}' stop '{1}' >'{2}' 2>&1 && sleep {3} && '{0}' start '{1}' >>'{2}' 2>&1",
                script.string(), kdir, restart_log, std::atoi(outage))
          : fmt::format("'{}' restart '{}' >'{}' 2>&1", script.string(), kdir, restart_log);
  const int rc = std::system(command.c_str());
  const double restart_secs = SecondsSince(r0);
  restarted = true;
  // Keep writing until the log has recovered (or give up after a minute).
  const auto until = SteadyClock::now() + std::chrono::seconds(60);
  while (SteadyClock::now() < until) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (acked_after_restart >= 50) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop = true;
  for (auto& t : writers) t.join();
  REQUIRE(rc == 0);

  fmt::print(
      stderr,
      "restart took {:.1f} s; {} appends acknowledged ({} after the restart), {} failed; slowest "
      "append {:.1f} s, slowest failure {:.1f} s\n",
      restart_secs, acked.size(), acked_after_restart, failed, max_latency, max_failed_latency);
  for (const auto& [code, example] : failure_kinds) fmt::print(stderr, "  e.g. {}\n", example);

  CHECK(acked_after_restart > 0);
  // Bounded: produce + flush + abort or commit + recovery, with these timeouts.
  CHECK(max_latency < 60);
  for (const auto& [code, example] : failure_kinds) {
    INFO(example);
    CHECK((code == Code::kUnavailable || code == Code::kIoError));
  }

  std::set<std::string> seen;
  for (PartitionId p = 0; p < log->partitions(); ++p) {
    auto recs = ReadAll(*log, p);
    CheckChain(recs);
    for (const auto& r : recs) {
      const std::string id = EventId(r);
      INFO(id << " at partition " << p << " offset " << r.offset);
      CHECK(seen.insert(id).second);    // nothing duplicated
      CHECK(attempted.count(id) == 1);  // nothing invented
      auto it = acked.find(id);
      if (it != acked.end()) {
        CHECK(it->second.partition == p);
        CHECK(it->second.offset == r.offset);
        CHECK(it->second.hash == HashRecord(r.bytes));
      }
    }
  }
  size_t missing = 0;
  for (const auto& [id, pos] : acked) missing += seen.count(id) == 0;
  CHECK(missing == 0);  // nothing acknowledged is missing
  fmt::print(stderr,
             "after the restart the log holds {} records ({} acknowledged, {} unacknowledged but "
             "committed)\n",
             seen.size(), acked.size(), seen.size() - (acked.size() - missing));
}
