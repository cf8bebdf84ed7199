#include "events/indicator_sink.h"

#include <atomic>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include "events/kafka_admin.h"

namespace ledger {

namespace {
constexpr int kTimeoutMs = 30000;

struct DeliveryTally {
  std::atomic<int> failed{0};
  std::string first_error;
};
}  // namespace

Result<std::unique_ptr<KafkaIndicatorSink>> KafkaIndicatorSink::Open(const std::string& bootstrap,
                                                                     const std::string& topic,
                                                                     int partitions) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"bootstrap.servers", bootstrap},
           {"enable.idempotence", "true"},
           {"acks", "all"},
           {"linger.ms", "5"},
           {"message.timeout.ms", std::to_string(kTimeoutMs)}}) {
    Status s = SetKafkaConf(conf, k, v);
    if (!s.ok()) {
      rd_kafka_conf_destroy(conf);
      return s;
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    auto* tally = static_cast<DeliveryTally*>(m->_private);
    if (m->err && tally && tally->failed.fetch_add(1) == 0)
      tally->first_error = rd_kafka_err2str(m->err);
  });
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return Status::IoError(fmt::format("indicator producer: {}", errstr));
  }
  std::unique_ptr<KafkaIndicatorSink> sink(new KafkaIndicatorSink(rk, topic));
  LEDGER_RETURN_IF_ERROR(CreateKafkaTopic(
      rk, topic, partitions, {{"cleanup.policy", "compact"}, {"min.compaction.lag.ms", "0"}},
      kTimeoutMs));
  return sink;
}

KafkaIndicatorSink::~KafkaIndicatorSink() {
  rd_kafka_flush(rk_, kTimeoutMs);
  rd_kafka_destroy(rk_);
}

Status KafkaIndicatorSink::Publish(const std::map<std::string, std::string>& latest) {
  DeliveryTally tally;
  for (const auto& [key, value] : latest) {
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&tally), RD_KAFKA_V_END);
    if (err) {
      rd_kafka_flush(rk_, kTimeoutMs);
      return Status::Unavailable(fmt::format("{}: cannot publish indicators of {}: {}", topic_, key,
                                             rd_kafka_err2str(err)));
    }
  }
  if (rd_kafka_flush(rk_, kTimeoutMs) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Unavailable(
        fmt::format("{}: indicators not delivered within {} ms", topic_, kTimeoutMs));
  }
  if (tally.failed > 0) {
    return Status::Unavailable(fmt::format("{}: {} indicator records failed: {}", topic_,
                                           tally.failed.load(), tally.first_error));
  }
  return Status::Ok();
}

}  // namespace ledger
