// Layer app/workload: seeded activity for `ledger simulate`, the demo and
// the benchmarks, through the command path only. It must never write the
// log or the views directly.
//
// The workload generator behind `ledger simulate`: a seeded, realistic stream
// of complaint activity driven through the real command path (so every event
// passed the rules). Merchants have skewed complaint rates (a few get very
// many) and a behaviour: prompt, late or silent; consumers accept, reply,
// escalate or withdraw; authorities decide; remedies are carried out or not;
// violations are recorded; warnings and suspensions follow from the delays.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "app/ledger/service.h"

namespace ledger {

struct WorkloadOptions {
  uint64_t seed = 42;
  uint32_t merchants = 15561;            // eNamad symbol holders
  uint32_t complaints_per_month = 2600;  // eNamad's filing rate
  uint32_t months = 12;
  std::string start = "2025-01-01";
  // Commands whose times fall in one step go in one durable batch; times are
  // rounded up to the step.
  TimeMs step = kHourMs;
  // Stop once the log holds this many events (0: run all months).
  uint64_t max_events = 0;
};

struct WorkloadReport {
  uint64_t commands = 0;
  uint64_t accepted = 0;
  uint64_t refused = 0;  // refusals the rules made (e.g. filing against a suspended merchant)
  uint64_t events = 0;
  uint64_t complaints = 0;
  double seconds = 0;
  std::map<std::string, uint64_t> refusals;  // "Command: code" -> count
  nlohmann::json ToJson() const;
};

// Runs the workload on `ledger`, whose clock must be `clock` (moved by the
// generator). `progress(events_so_far, estimated_total)` after each batch.
Result<WorkloadReport> RunWorkload(Ledger& ledger, ManualClock& clock,
                                   const WorkloadOptions& options,
                                   const std::function<void(uint64_t, uint64_t)>& progress);

}  // namespace ledger
