#include "replay/history.h"

#include <fmt/format.h>

#include "engine/event_subject.h"
#include "engine/state.h"
#include "events/codec.h"
#include "projections/views.h"
#include "replay/event_json.h"
#include "replay/replay.h"

namespace ledger {

Result<std::vector<TimelineEntry>> CaseHistory(EventLog& log, const ViewStore& views,
                                               const std::string& case_id,
                                               const EventJson& renderer) {
  LEDGER_ASSIGN_OR_RETURN(auto positions, CaseEventPositions(views, case_id));
  if (positions.empty()) return Status::NotFound(fmt::format("case {} does not exist", case_id));
  std::vector<TimelineEntry> out;
  CaseState state;
  for (const auto& [partition, offset, unused] : positions) {
    LEDGER_ASSIGN_OR_RETURN(auto records, log.Read(partition, offset, 1));
    if (records.empty() || records[0].offset != offset) {
      return Status::Corruption(fmt::format("case {}: partition {} offset {} is missing from {}",
                                            case_id, partition, offset, log.Describe()));
    }
    LEDGER_ASSIGN_OR_RETURN(const fb::Event* e, DecodeEvent(records[0].bytes, partition, offset));
    if (CaseIdOf(*e) != case_id) {
      return Status::Corruption(
          fmt::format("partition {} offset {} is not about case {}", partition, offset, case_id));
    }
    EvolveCase(state, *e);
    TimelineEntry entry;
    entry.position = {partition, offset, HashRecord(records[0].bytes)};
    entry.event = nlohmann::json::parse(renderer.Render(records[0].bytes), nullptr, false);
    entry.state_after = CaseJson(state);
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace ledger
