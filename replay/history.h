// The audit timeline of a case: every event that names it, in log order,
// with time, actor, what it changed and the case's state after it. Built
// from the log alone (the index only says where to look).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "events/event_log.h"
#include "projections/store.h"
#include "replay/event_json.h"

namespace ledger {

struct TimelineEntry {
  Position position;
  nlohmann::json event;        // the whole event as JSON (envelope and payload)
  nlohmann::json state_after;  // CaseJson after folding this event
};

Result<std::vector<TimelineEntry>> CaseHistory(EventLog& log, const ViewStore& views,
                                               const std::string& case_id,
                                               const EventJson& renderer);

}  // namespace ledger
