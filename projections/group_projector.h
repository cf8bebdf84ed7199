// A projector process in a Kafka consumer group. Processes that share a
// group id share the partitions of the events topic; each keeps the views of
// the partitions it has applied in its own RocksDB, with the per-partition
// offsets and chain heads in the same WriteBatch as the state (never in
// Kafka), so each event takes effect once. When a process dies, the group
// gives its partitions to the others, which resume each from their own
// checkpoint of that partition (offset 0 if they never had it) and replay.
#pragma once

#include <atomic>
#include <set>
#include <string>

#include "events/open_log.h"
#include "projections/store.h"

namespace ledger {

struct GroupProjectorOptions {
  KafkaLocation kafka;
  std::string group = "ledger-projectors";
  std::string views_dir;
  // Stop after this long without a new record (0: run until `stop`).
  int idle_exit_ms = 0;
  int session_timeout_ms = 6000;
};

struct GroupProjectorReport {
  uint64_t applied = 0;
  std::set<int32_t> owned;  // partitions owned when it stopped
  Hash32 digest{};
};

// Runs until `stop` is set or it has been idle for idle_exit_ms.
Result<GroupProjectorReport> RunGroupProjector(const GroupProjectorOptions& options,
                                               const std::atomic<bool>& stop);

}  // namespace ledger
