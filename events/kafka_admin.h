// Small librdkafka helpers shared by the Kafka parts: topic creation and
// configuration. Every wait is bounded.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

struct rd_kafka_s;
struct rd_kafka_conf_s;

namespace ledger {

// Creates `topic` with `partitions` partitions (replication factor 1) and the
// given topic configs; an existing topic is fine. `rk` may be any handle.
Status CreateKafkaTopic(rd_kafka_s* rk, const std::string& topic, int partitions,
                        const std::vector<std::pair<std::string, std::string>>& configs,
                        int timeout_ms);

// Sets a librdkafka property; the error names it.
Status SetKafkaConf(rd_kafka_conf_s* conf, const std::string& key, const std::string& value);

}  // namespace ledger
