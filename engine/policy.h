// Policy: every number and table the complaint rules use, with a version that
// each event records. Loaded from a JSON file; two profiles ship in
// engine/policies/: `enamad` (default) and `cfpb` (15/60 days).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "common_generated.h"

namespace ledger {

// One row of the routing table; empty fields match anything. First match wins.
struct RoutingRule {
  std::vector<fb::Category> categories;
  std::string sector;
  std::string region;
  std::string authority;
  bool violation = false;
};

struct Route {
  std::string authority;
  bool violation = false;
};

struct Policy {
  std::string name;
  std::string version;
  std::string description;
  // The merchant's answer ladder: one delay per missed window; after the last
  // one the complaint is unanswered. eNamad: 72, 48, 24 h.
  std::vector<TimeMs> response_windows;
  TimeMs delay_decay = 90 * kDayMs;
  unsigned warning_active_delays = 3;
  unsigned suspension_active_delays = 5;
  TimeMs defence_window = 72 * kHourMs;
  TimeMs arbitration_remedy_window = 168 * kHourMs;
  TimeMs mediation_remedy_window = 168 * kHourMs;
  TimeMs closure_window = 0;  // 0: no closure deadline
  double fee_percent_min = 2;
  double fee_percent_max = 20;
  std::string arbitration_authority = "arbitration_board";
  std::vector<RoutingRule> routing;

  // The authority for a complaint. REQUIRES: routing has a catch-all row
  // (checked on load).
  Route RouteFor(fb::Category category, std::string_view sector, std::string_view region) const;
  // Lateness in whole days, rounded up (the unanswered-decay rule).
  static TimeMs CeilDays(TimeMs late) { return (late + kDayMs - 1) / kDayMs * kDayMs; }
};

// Parses a policy document; the error names the bad field.
Result<Policy> ParsePolicy(std::string_view json_text);
// The document of a profile compiled into the program, by name (`enamad`,
// `cfpb`); nullopt for another name. (Policies in files: app/ledger/policy_file.h.)
std::optional<std::string_view> BuiltinPolicyText(std::string_view name);

}  // namespace ledger
