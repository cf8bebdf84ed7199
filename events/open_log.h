// Opens the event log a user names: the embedded log under the data
// directory (the default), or a Kafka topic ("kafka://HOST:PORT[/TOPIC]").
#pragma once

#include <memory>
#include <string>

#include "events/event_log.h"

namespace ledger {

struct LogLocation {
  std::string uri;        // "" or "embedded": <data_dir>/log
  std::string data_dir;
  uint32_t partitions = 6;  // for a log created now
};

Result<std::unique_ptr<EventLog>> OpenEventLog(const LogLocation& where);

}  // namespace ledger
