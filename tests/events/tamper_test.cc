// Tamper evidence beyond the chain: an inserted record, records removed from
// the end or rewritten together with the chain after them (found only by a
// signed checkpoint), checkpoint signatures, and a record forged into a Kafka
// topic by a producer other than the ledger.
#include <librdkafka/rdkafka.h>

#include <filesystem>
#include <fstream>

#include <rocksdb/db.h>
#include <catch2/catch.hpp>

#include "events/embedded_log.h"
#include "events/open_log.h"
#include "replay/chain.h"
#include "replay/replay.h"
#include "tests/support/fixture.h"

using namespace ledger;
using namespace ledger::test;

namespace {

std::string Violation(int i) {
  return fmt::format(R"({{"actor":{{"role":"operator","id":"c"}},"command_type":"RecordViolation",)"
                     R"("command":{{"merchant_id":"m1","level":1,"rule":"r{}"}}}})",
                     i);
}
const char kRegister[] =
    R"({"actor":{"role":"operator","id":"c"},"command_type":"RegisterMerchant",)"
    R"("command":{"merchant_id":"m1","name":"M","licence_date":"2025-01-01","domains":["m.ir"]}})";

// A ledger of one merchant with `n` violations: offsets 0..n of one partition.
struct SmallLedger {
  explicit SmallLedger(int n, const std::string& log_uri = "") : dir(TempDir("tamper")) {
    ManualClock clock(ParseTime(kStart).value());
    LedgerOptions o;
    o.data_dir = dir;
    o.log_uri = log_uri;
    auto l = Ledger::Open(o, clock).value();
    REQUIRE(l->SubmitJson(kRegister).status.ok());
    for (int i = 0; i < n; ++i) REQUIRE(l->SubmitJson(Violation(i)).status.ok());
    p = PartitionFor("m1", l->log().partitions());
  }
  ~SmallLedger() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::vector<ChainHead> Heads() {
    auto log = EmbeddedLog::Open(dir + "/log").value();
    return WalkChains(*log).value();
  }
  // Runs `edit` on the raw RocksDB database of the log.
  void Edit(const std::function<void(rocksdb::DB&)>& edit) {
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(rocksdb::Options(), dir + "/log", &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    edit(*db);
  }
  Status Walk(const std::vector<ChainHead>* expected) {
    auto log = EmbeddedLog::Open(dir + "/log").value();
    return WalkChains(*log, expected).status();
  }
  std::string dir;
  PartitionId p = 0;
};

std::string LogKey(PartitionId p, Offset o) {
  std::string k(12, '\0');
  for (int i = 0; i < 4; ++i) k[i] = static_cast<char>(p >> (24 - 8 * i));
  for (int i = 0; i < 8; ++i) k[4 + i] = static_cast<char>(o >> (56 - 8 * i));
  return k;
}

std::string Get(rocksdb::DB& db, PartitionId p, Offset o) {
  std::string v;
  REQUIRE(db.Get(rocksdb::ReadOptions(), LogKey(p, o), &v).ok());
  return v;
}

// Re-chains offsets from..last of partition p after an edit, as a forger who
// knows the format would: every prev_hash recomputed.
void Rechain(rocksdb::DB& db, PartitionId p, Offset from, Offset last) {
  Hash32 prev = from == 0 ? ZeroHash() : HashRecord(Get(db, p, from - 1));
  for (Offset o = from; o <= last; ++o) {
    std::string v = Get(db, p, o);
    SetPrevHash(v, prev);
    REQUIRE(db.Put(rocksdb::WriteOptions(), LogKey(p, o), v).ok());
    prev = HashRecord(v);
  }
}

Ed25519Secret TestKey(const std::string& dir, Ed25519Public* pk = nullptr) {
  auto pub = GenerateCheckpointKey(dir + "/cp.key");
  REQUIRE(pub.ok());
  if (pk != nullptr) *pk = pub.value();
  return LoadCheckpointSecret(dir + "/cp.key").value();
}

}  // namespace

TEST_CASE("Verify names the offset after a record inserted into the chain",
          "[replay][verify][tamper]") {
  SmallLedger s(5);
  s.Edit([p = s.p](rocksdb::DB& db) {
    // Shift offsets 3..5 up by one and put a forged copy of offset 2, chained
    // properly to offset 2, at offset 3.
    for (Offset o = 6; o >= 4; --o)
      REQUIRE(db.Put(rocksdb::WriteOptions(), LogKey(p, o), Get(db, p, o - 1)).ok());
    std::string forged = Get(db, p, 2);
    SetPrevHash(forged, HashRecord(Get(db, p, 2)));
    REQUIRE(db.Put(rocksdb::WriteOptions(), LogKey(p, 3), forged).ok());
  });
  const Status st = s.Walk(nullptr);
  INFO(st.message());
  REQUIRE(st.code() == Code::kCorruption);
  // The forged record chains; the one after it (the original offset 3) does not.
  CHECK(st.message().find(fmt::format("partition {}: first bad offset 4", s.p)) !=
        std::string::npos);
}

TEST_CASE("A checkpoint finds records removed from the end, which the chain alone cannot",
          "[replay][verify][tamper][checkpoint]") {
  SmallLedger s(5);
  const auto heads = s.Heads();
  REQUIRE(heads[s.p].records == 6);
  REQUIRE(heads[s.p].last_offset == 5);
  s.Edit([p = s.p](rocksdb::DB& db) {
    REQUIRE(db.Delete(rocksdb::WriteOptions(), LogKey(p, 5)).ok());
    REQUIRE(db.Delete(rocksdb::WriteOptions(), LogKey(p, 4)).ok());
  });
  CHECK(s.Walk(nullptr).ok());  // what is left still chains
  const Status st = s.Walk(&heads);
  INFO(st.message());
  REQUIRE(st.code() == Code::kCorruption);
  CHECK(st.message().find(fmt::format("partition {}: first bad offset 4", s.p)) !=
        std::string::npos);
  CHECK(st.message().find("removed from the end") != std::string::npos);
}

TEST_CASE("A checkpoint finds a rewritten record even when the chain after it was recomputed",
          "[replay][verify][tamper][checkpoint]") {
  SmallLedger s(5);
  const auto heads = s.Heads();
  s.Edit([p = s.p](rocksdb::DB& db) {
    std::string v = Get(db, p, 2);
    const auto pos = v.find("r1");
    REQUIRE(pos != std::string::npos);
    v[pos + 1] = '7';
    REQUIRE(db.Put(rocksdb::WriteOptions(), LogKey(p, 2), v).ok());
    Rechain(db, p, 3, 5);
  });
  CHECK(s.Walk(nullptr).ok());  // a consistent forgery as far as the chain goes
  const Status st = s.Walk(&heads);
  INFO(st.message());
  REQUIRE(st.code() == Code::kCorruption);
  CHECK(st.message().find(fmt::format("partition {}: first bad offset 5", s.p)) !=
        std::string::npos);
}

TEST_CASE("A checkpoint still holds after honest appends, and they are counted",
          "[replay][tamper][checkpoint]") {
  SmallLedger s(3);
  const auto heads = s.Heads();
  {
    ManualClock clock(ParseTime(kStart).value());
    LedgerOptions o;
    o.data_dir = s.dir;
    auto l = Ledger::Open(o, clock).value();
    for (int i = 10; i < 14; ++i) REQUIRE(l->SubmitJson(Violation(i)).status.ok());
  }
  auto log = EmbeddedLog::Open(s.dir + "/log").value();
  auto now = WalkChains(*log, &heads);
  REQUIRE(now.ok());
  CHECK((*now)[s.p].records == heads[s.p].records + 4);
}

TEST_CASE("A checkpoint's signature checks with the public key alone, and fails for any change",
          "[tamper][checkpoint]") {
  SmallLedger s(2);
  Ed25519Public pk{};
  const auto sk = TestKey(s.dir, &pk);
  const std::string doc = SignCheckpoint(s.Heads(), "2026-03-01T08:00:00Z", sk);

  auto cp = CheckCheckpointSignature(doc, pk);
  REQUIRE(cp.ok());
  CHECK(cp->heads == s.Heads());
  CHECK(cp->signed_at == "2026-03-01T08:00:00Z");
  // The PEM file written beside the secret key is the same public key.
  CHECK(LoadCheckpointPublic(s.dir + "/cp.key.pub").value() == pk);
  CHECK(LoadCheckpointPublic(HexOf(pk.data(), pk.size())).value() == pk);

  SECTION("another key") {
    Ed25519Public other{};
    GenerateCheckpointKey(s.dir + "/other.key").value();
    other = LoadCheckpointPublic(s.dir + "/other.key.pub").value();
    auto r = CheckCheckpointSignature(doc, other);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("signature does not match") != std::string::npos);
  }
  SECTION("a changed count in the statement") {
    auto j = nlohmann::json::parse(doc);
    std::string st = j["statement"];
    const auto pos = st.find(fmt::format("partition {} records 3", s.p));
    REQUIRE(pos != std::string::npos);
    st.replace(pos, fmt::format("partition {} records 3", s.p).size(),
               fmt::format("partition {} records 2", s.p));
    j["statement"] = st;
    auto r = CheckCheckpointSignature(j.dump(), pk);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kCorruption);
  }
  SECTION("garbage") {
    CHECK(CheckCheckpointSignature("not json", pk).status().code() == Code::kInvalidArgument);
    CHECK(CheckCheckpointSignature(R"({"statement":"x"})", pk).status().code() ==
          Code::kInvalidArgument);
    CHECK(CheckCheckpointSignature(R"({"statement":"x","signature":"AAAA"})", pk).status().code() ==
          Code::kInvalidArgument);
  }
  SECTION("keys are never overwritten, and a readable secret key is refused") {
    CHECK_FALSE(GenerateCheckpointKey(s.dir + "/cp.key").ok());
    std::filesystem::permissions(s.dir + "/cp.key", std::filesystem::perms::group_read,
                                 std::filesystem::perm_options::add);
    auto r = LoadCheckpointSecret(s.dir + "/cp.key");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kPermissionDenied);
  }
}

TEST_CASE("KafkaLog: a record forged into the topic by another producer is found at its offset",
          "[kafka][tamper]") {
  const char* bootstrap = std::getenv("LEDGER_KAFKA_BOOTSTRAP");
  if (bootstrap == nullptr) {
    WARN("SKIPPED: needs LEDGER_KAFKA_BOOTSTRAP (scripts/test.sh sets it)");
    return;
  }
  const std::string topic = fmt::format("tamper.{}.{}", ::getpid(), std::rand() % 100000);
  const std::string uri = fmt::format("kafka://{}/{}", bootstrap, topic);
  SmallLedger s(3, uri);
  std::vector<ChainHead> before;
  std::string copied;
  {
    auto log = OpenEventLog({uri, s.dir, 6}).value();
    before = WalkChains(*log).value();
    auto recs = log->Read(s.p, 0, 2).value();
    REQUIRE(recs.size() == 2);
    copied = recs[1].bytes;  // a genuine record, replayed
  }
  // A plain (non-transactional) producer appends the copy to the partition.
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  REQUIRE(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err) ==
          RD_KAFKA_CONF_OK);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  REQUIRE(producer != nullptr);
  REQUIRE(rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()),
                            RD_KAFKA_V_PARTITION(static_cast<int32_t>(s.p)),
                            RD_KAFKA_V_VALUE(copied.data(), copied.size()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR);
  REQUIRE(rd_kafka_flush(producer, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(producer);

  auto log = OpenEventLog({uri, s.dir, 6}).value();
  auto r = WalkChains(*log);
  REQUIRE_FALSE(r.ok());
  INFO(r.status().message());
  // The forged record sits after the last committed one (transaction markers
  // take offsets too, so its offset is read back rather than assumed).
  auto tail = log->Read(s.p, before[s.p].last_offset + 1, 10).value();
  REQUIRE_FALSE(tail.empty());
  CHECK(r.status().message().find(fmt::format("partition {}: first bad offset {}", s.p,
                                              tail.front().offset)) != std::string::npos);
  // The checkpoint taken before the forgery still matches what came before it.
  CHECK(WalkChains(*log, &before).status().message().find("first bad offset") != std::string::npos);
}
