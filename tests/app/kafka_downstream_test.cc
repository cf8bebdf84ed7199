// Downstream on a real broker: the compacted indicators topic holds each
// merchant's latest public indicators, equal to the views.
#include <map>

#include <librdkafka/rdkafka.h>
#include <catch2/catch.hpp>

#include "events/open_log.h"
#include "tests/support/fixture.h"

using namespace ledger;
using namespace ledger::test;
using C = fb::Command;

namespace {

// The last value of every key in `topic`, read from the beginning to the end.
std::map<std::string, std::string> ReadLatest(const std::string& bootstrap,
                                              const std::string& topic, int partitions) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", "downstream-test", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  REQUIRE(rk != nullptr);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  REQUIRE(rd_kafka_assign(rk, parts) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(parts);
  std::map<std::string, std::string> latest;
  int at_end = 0;
  for (int polls = 0; at_end < partitions && polls < 600; ++polls) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ++at_end;
    } else if (!m->err) {
      latest[std::string(static_cast<const char*>(m->key), m->key_len)] =
          std::string(static_cast<const char*>(m->payload), m->len);
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  CHECK(at_end == partitions);
  return latest;
}

}  // namespace

TEST_CASE("The indicators topic holds every merchant's latest public indicators",
          "[kafka][downstream]") {
  const char* bootstrap = std::getenv("LEDGER_KAFKA_BOOTSTRAP");
  if (bootstrap == nullptr ||
      std::string(std::getenv("LEDGER_TEST_LOG") ? std::getenv("LEDGER_TEST_LOG") : "") !=
          "kafka") {
    WARN(
        "SKIPPED: runs with LEDGER_TEST_LOG=kafka and LEDGER_KAFKA_BOOTSTRAP (scripts/test.sh sets "
        "both)");
    return;
  }
  Fixture f;
  f.RegisterMerchant("m1");
  f.RegisterMerchant("m2");
  const auto a = f.Accepted("m1", "A");
  f.Accepted("m2", "B");
  f.Advance(150 * kHourMs);
  REQUIRE(f.Merchant(C::Respond, a, "m1", R"(,"message":"late")").status.ok());
  CHECK(f.ledger().indicator_backlog() == 0);
  const std::string events_topic =
      f.ledger().log().Describe().substr(f.ledger().log().Describe().rfind('/') + 1);
  auto latest = ReadLatest(bootstrap, IndicatorTopicFor(events_topic),
                           static_cast<int>(f.ledger().log().partitions()));
  REQUIRE(latest.size() == 2);
  for (const char* m : {"m1", "m2"}) {
    const auto state = f.MerchantOf(m);
    CHECK(nlohmann::json::parse(latest[m]) == MerchantJson(state, state.last_event_ms));
  }
  CHECK(nlohmann::json::parse(latest["m2"])["unanswered"] == 1);
}
