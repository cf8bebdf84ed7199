// Layer replay/: what auditors derive from the log alone: rebuild, verify,
// as-of, the audit timeline, exports, the chain walk and signed checkpoints,
// and the one renderer of events as JSON. It must never append to the log or
// include app/; it reads views only to find where to look.
//
// Replay: everything auditors and operators derive from the log alone.
//   Rebuild     replays the whole log into fresh views beside the live ones, then swaps.
//   Verify      checks every partition's hash chain, and that a rebuild equals the live views.
//   MerchantAsOf  a merchant's public profile as it stood at a moment, folded from its events.
//   Export      events as JSON lines or CSV, filtered.
// None of these reads a clock: times are inputs.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/state.h"
#include "events/event_log.h"
#include "projections/store.h"
#include "replay/chain.h"
#include "replay/event_json.h"

namespace ledger {

// Reports progress: events done so far, and the total when known (0 if not).
using Progress = std::function<void(uint64_t done, uint64_t total)>;

struct RebuildReport {
  uint64_t events = 0;
  uint64_t bytes = 0;         // of the event records replayed
  double seconds = 0;         // in all
  double replay_seconds = 0;  // of which replaying the log into the views
  double flush_seconds = 0;   // writing the memtables out
  double digest_seconds = 0;  // computing the digest
  Hash32 digest{};
};

// Replays `log` into `<views_dir>.rebuild`, then moves it to `views_dir` (the
// old views are removed only after the new ones are complete). REQUIRES: no
// process has `views_dir` open.
Result<RebuildReport> Rebuild(EventLog& log, const std::string& views_dir,
                              const Progress& progress);

struct VerifyReport {
  uint64_t events = 0;  // records whose chains were walked
  uint64_t applied =
      0;  // of them, those the live views had applied: the rebuild compared stops there
  std::vector<std::pair<PartitionId, uint64_t>> partitions;  // records per partition
  std::vector<ChainHead> heads;                              // each partition's chain head
  Hash32 live_digest{};
  Hash32 rebuilt_digest{};
};

// Checks every record decodes and chains to the one before it, then rebuilds
// into a scratch directory, up to the offsets `live` has applied, and
// compares digests with `live`. The error names the partition and the first
// bad offset, or the two digests. Records appended while it runs (a server
// writing to the same topic) are walked if they were there in time, never
// compared.
Result<VerifyReport> Verify(EventLog& log, const ViewStore& live, const std::string& scratch_dir,
                            const Progress& progress);

// A merchant's state at `as_of` (inclusive), from its events in the log.
Result<std::unique_ptr<MerchantState>> MerchantAsOf(EventLog& log, const ViewStore& views,
                                                    const std::string& merchant_id, TimeMs as_of);

struct ExportFilter {
  std::string merchant_id;
  std::string case_id;
  std::set<std::string> types;  // payload type names; empty: all
  TimeMs from = 0;              // inclusive
  TimeMs to = INT64_MAX;        // exclusive
};
enum class ExportFormat { kJsonLines, kCsv };

// Writes the matching events in log order (per partition). Returns how many.
Result<uint64_t> Export(EventLog& log, const ViewStore& views, const ExportFilter& filter,
                        ExportFormat format, const EventJson& renderer, std::ostream& out);

// The positions of a case's or a merchant's events, from the views' index.
Result<std::vector<Position>> CaseEventPositions(const ViewStore& views,
                                                 const std::string& case_id);
Result<std::vector<Position>> MerchantEventPositions(const ViewStore& views,
                                                     const std::string& merchant_id);

}  // namespace ledger
