#include "events/open_log.h"

#include <filesystem>

#include <fmt/format.h>

#include "events/embedded_log.h"

namespace ledger {

Result<std::unique_ptr<EventLog>> OpenEventLog(const LogLocation& where) {
  if (where.uri.empty() || where.uri == "embedded") {
    EmbeddedLogOptions o;
    o.partitions = where.partitions;
    LEDGER_ASSIGN_OR_RETURN(auto log, EmbeddedLog::Open((std::filesystem::path(where.data_dir) / "log").string(), o));
    return std::unique_ptr<EventLog>(std::move(log));
  }
  return Status::InvalidArgument(fmt::format(
      "--log '{}': expected 'embedded' or kafka://HOST:PORT[/TOPIC]", where.uri));
}

}  // namespace ledger
