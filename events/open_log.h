// Opens the event log a user names: the embedded log under the data
// directory (the default), or a Kafka topic ("kafka://HOST:PORT[/TOPIC]").
#pragma once

#include <memory>
#include <string>

#include "events/event_log.h"

namespace ledger {

struct LogLocation {
  std::string uri;  // "" or "embedded": <data_dir>/log
  std::string data_dir;
  uint32_t partitions = 6;  // for a log created now
};

struct KafkaLocation {
  std::string bootstrap;  // HOST:PORT[,HOST:PORT...]
  std::string topic = "complaints.events";
};

// "kafka://HOST:PORT[/TOPIC]"; names what is wrong.
Result<KafkaLocation> ParseKafkaUri(const std::string& uri);

Result<std::unique_ptr<EventLog>> OpenEventLog(const LogLocation& where);

// The compacted topic of merchant indicators that goes with an events topic:
// "merchant.indicators" for "complaints.events", else "<topic>.indicators".
std::string IndicatorTopicFor(const std::string& events_topic);

// Where the views of that log live: <data>/views for the embedded log,
// <data>/kafka-<topic>/views for a topic, so views never mix two logs.
std::string ViewsDirFor(const LogLocation& where);

}  // namespace ledger
