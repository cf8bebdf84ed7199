#include "events/open_log.h"

#include "common/data_dir.h"

#include <filesystem>

#include <fmt/format.h>

#include "events/embedded_log.h"
#include "events/kafka_log.h"

namespace ledger {

namespace fs = std::filesystem;

Result<KafkaLocation> ParseKafkaUri(const std::string& uri) {
  constexpr std::string_view kScheme = "kafka://";
  if (uri.rfind(kScheme, 0) != 0) {
    return Status::InvalidArgument(
        fmt::format("--log '{}': expected 'embedded' or kafka://HOST:PORT[/TOPIC]", uri));
  }
  KafkaLocation k;
  std::string rest = uri.substr(kScheme.size());
  const auto slash = rest.find('/');
  k.bootstrap = rest.substr(0, slash);
  if (slash != std::string::npos && slash + 1 < rest.size()) k.topic = rest.substr(slash + 1);
  if (k.bootstrap.empty() || k.bootstrap.find(':') == std::string::npos) {
    return Status::InvalidArgument(fmt::format("--log '{}': HOST:PORT is missing", uri));
  }
  for (char c : k.topic) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return Status::InvalidArgument(
          fmt::format("--log '{}': '{}' is not a valid topic name", uri, k.topic));
    }
  }
  return k;
}

std::string IndicatorTopicFor(const std::string& events_topic) {
  return events_topic == "complaints.events" ? "merchant.indicators" : events_topic + ".indicators";
}

std::string ViewsDirFor(const LogLocation& where) {
  const DataDir dir(where.data_dir);
  if (where.uri.empty() || where.uri == "embedded") return dir.Views();
  auto k = ParseKafkaUri(where.uri);
  return dir.Views(k.ok() ? k->topic : "invalid");
}

Result<std::unique_ptr<EventLog>> OpenEventLog(const LogLocation& where) {
  if (where.uri.empty() || where.uri == "embedded") {
    EmbeddedLogOptions o;
    o.partitions = where.partitions;
    LEDGER_ASSIGN_OR_RETURN(auto log, EmbeddedLog::Open(DataDir(where.data_dir).EmbeddedLog(), o));
    return std::unique_ptr<EventLog>(std::move(log));
  }
  LEDGER_ASSIGN_OR_RETURN(KafkaLocation k, ParseKafkaUri(where.uri));
  KafkaLogOptions o;
  o.bootstrap = k.bootstrap;
  o.topic = k.topic;
  o.partitions = where.partitions;
  o.operation_timeout_ms = 30000;
  LEDGER_ASSIGN_OR_RETURN(auto log, KafkaLog::Open(o));
  return std::unique_ptr<EventLog>(std::move(log));
}

}  // namespace ledger
