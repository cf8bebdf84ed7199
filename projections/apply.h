// The replay loop: log records beyond the views' offsets, applied to the
// views in batches, one projector per thread over the partitions (crash
// recovery, catch-up, rebuild, verify).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "events/event_log.h"
#include "projections/store.h"

namespace ledger {

// Whether to gather the public indicators of the merchants a replay changed.
enum class Indicators { kSkip, kCollect };
// Whether to wait first for every transaction already written to end (after
// an append whose outcome is unknown), so that records committed late are
// not missed.
enum class Settle { kNo, kAfterOpenTransactions };

struct ApplyOptions {
  // Called after each batch with the number of records applied so far.
  std::function<void(uint64_t applied)> on_progress;
  Indicators indicators = Indicators::kSkip;
  Settle settle = Settle::kNo;
  // One offset per partition: only the records below them are applied (a
  // copy of views that stopped there, while the log goes on).
  std::optional<std::vector<Offset>> until;
};

struct ApplyReport {
  uint64_t applied = 0;  // records applied
  uint64_t bytes = 0;    // of those records
  // With Indicators::kCollect: merchant id -> public indicators (JSON).
  std::map<std::string, std::string> indicators;
};

// Replays log records beyond the views' offsets into the views. Thread-safe
// with respect to other readers of the views; REQUIRES: nothing else writes
// the views meanwhile.
Result<ApplyReport> ApplyLog(EventLog& log, ViewStore& views, const ApplyOptions& options = {});

}  // namespace ledger
