#include "events/kafka_admin.h"

#include <memory>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

namespace ledger {

Status SetKafkaConf(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
      RD_KAFKA_CONF_OK) {
    return Status::InvalidArgument(fmt::format("kafka setting {}={}: {}", key, value, errstr));
  }
  return Status::Ok();
}

Status CreateKafkaTopic(rd_kafka_t* rk, const std::string& name, int partitions,
                        const std::vector<std::pair<std::string, std::string>>& configs,
                        int timeout_ms) {
  char errstr[512];
  std::unique_ptr<rd_kafka_NewTopic_t, void (*)(rd_kafka_NewTopic_t*)> topic(
      rd_kafka_NewTopic_new(name.c_str(), partitions, 1, errstr, sizeof errstr),
      rd_kafka_NewTopic_destroy);
  if (!topic) return Status::InvalidArgument(fmt::format("topic {}: {}", name, errstr));
  for (const auto& [k, v] : configs) {
    if (rd_kafka_NewTopic_set_config(topic.get(), k.c_str(), v.c_str()) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::InvalidArgument(fmt::format("topic {}: cannot set {}={}", name, k, v));
    }
  }
  std::unique_ptr<rd_kafka_AdminOptions_t, void (*)(rd_kafka_AdminOptions_t*)> admin(
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS), rd_kafka_AdminOptions_destroy);
  if (rd_kafka_AdminOptions_set_request_timeout(admin.get(), timeout_ms, errstr, sizeof errstr) ||
      rd_kafka_AdminOptions_set_operation_timeout(admin.get(), timeout_ms, errstr, sizeof errstr)) {
    return Status::InvalidArgument(fmt::format("topic {}: admin options: {}", name, errstr));
  }
  std::unique_ptr<rd_kafka_queue_t, void (*)(rd_kafka_queue_t*)> queue(rd_kafka_queue_new(rk),
                                                                       rd_kafka_queue_destroy);
  rd_kafka_NewTopic_t* topics[] = {topic.get()};
  rd_kafka_CreateTopics(rk, topics, 1, admin.get(), queue.get());
  std::unique_ptr<rd_kafka_event_t, void (*)(rd_kafka_event_t*)> event(
      rd_kafka_queue_poll(queue.get(), timeout_ms + 5000), rd_kafka_event_destroy);
  if (!event) return Status::Unavailable(fmt::format("topic {}: no answer to CreateTopics", name));
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Unavailable(
        fmt::format("topic {}: {}", name, rd_kafka_event_error_string(event.get())));
  }
  size_t n = 0;
  const auto* result = rd_kafka_event_CreateTopics_result(event.get());
  const rd_kafka_topic_result_t** results =
      result ? rd_kafka_CreateTopics_result_topics(result, &n) : nullptr;
  for (size_t i = 0; i < n; ++i) {
    const auto err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
      continue;
    return Status::IoError(fmt::format("topic {}: {}", name, rd_kafka_err2str(err)));
  }
  return Status::Ok();
}

}  // namespace ledger
