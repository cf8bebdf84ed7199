// Who may read what: the read rules beside the decider's write rules, so the
// CLI and the HTTP service apply the same ones. Pure.
#pragma once

#include <string_view>
#include <vector>

#include "engine/state.h"
#include "events_generated.h"

namespace ledger {

// A case is read by the operator and by its parties (IsPartyTo: its
// consumer, its merchant, the authority it was routed to).
bool MayReadCase(fb::Role role, std::string_view id, const CaseState& c);

// An event is read by the operator; by a merchant when it is in the
// merchant's stream of events (its partition key); by anyone else when it
// names a case they may read (`about`: that case, null when the event names
// none or it is unknown).
bool MayReadEvent(fb::Role role, std::string_view id, const fb::Event& e, const CaseState* about);

// Consumers' names and phones are for the operator's eyes only.
inline bool MaySeePersonalData(fb::Role role) { return role == fb::Role::operator_; }

// The reads that are not about one case, and who may make them.
enum class Overview { kRankings, kAnalytics, kMetrics };
const std::vector<fb::Role>& RolesThatMayRead(Overview what);

}  // namespace ledger
