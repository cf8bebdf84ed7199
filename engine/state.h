// The state the deciders read and the projector folds: a case and a merchant
// (the FlatBuffers object types of schemas/views.fbs), the timers each state
// implies, and the indicators' definitions. Pure functions; no I/O, no clock.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "events_generated.h"
#include "views_generated.h"

namespace ledger {

using CaseState = fb::CaseStateT;
using MerchantState = fb::MerchantStateT;

// A role as it is written in JSON ("operator", not the C++ name "operator_").
const char* RoleName(fb::Role role);

std::string CaseStream(std::string_view case_id);
std::string MerchantStream(std::string_view merchant_id);

// A case no command can move any more.
bool IsTerminal(fb::CaseStatus s);
// The merchant owes an answer on this case.
inline bool Owes(const CaseState& c) { return c.status == fb::CaseStatus::awaiting_response; }
// Accepted and not yet closed, withdrawn or rejected.
bool IsOpen(const CaseState& c);
// An unresolved case counts on the profile while it stays open.
inline bool CountsUnresolved(const CaseState& c) { return c.unresolved && IsOpen(c); }

// Folds one event into a case. REQUIRES: the event's stream is the case, or
// the event names the case (merchant-stream events about it change nothing).
void EvolveCase(CaseState& c, const fb::Event& e);
// Folds one event into a merchant. `before`/`after` are the case the event is
// about, before and after EvolveCase (both null for merchant-only events).
void EvolveMerchant(MerchantState& m, const fb::Event& e, const CaseState* before,
                    const CaseState* after);

// A pending deadline or decay. The timekeeper fires it at `due` if the state
// still implies it (a timer is never cancelled: it just stops being implied).
enum class TimerKind : uint8_t {
  kCaseDeadline = 1,  // response window, defence or remedy deadline
  kClosure = 2,       // the case must be closed (policies with a closure window)
  kUnansweredDecay = 3,
  kDelayDecay = 4,
  kReinstatement = 5,
};

struct Timer {
  TimeMs due = 0;
  TimerKind kind = TimerKind::kCaseDeadline;
  std::string merchant_id;
  std::string case_id;  // for delay decays: the case the delay was recorded on
  uint8_t window = 0;   // for delay decays

  bool operator==(const Timer& o) const {
    return due == o.due && kind == o.kind && window == o.window && merchant_id == o.merchant_id &&
           case_id == o.case_id;
  }
};

std::vector<Timer> TimersOf(const CaseState& c);
// A merchant's timers: one decay timer per active delay (made by the event
// that records the delay: ResponseDeadlineMissed), and the reinstatement
// timer when the state implies one.
Timer DelayTimer(std::string_view merchant_id, std::string_view case_id, uint8_t window,
                 TimeMs due);
std::optional<Timer> ReinstatementTimerOf(const MerchantState& m);
// Whether the states still imply `t` (without listing all their timers).
bool Implies(const Timer& t, const CaseState* c, const MerchantState* m);

}  // namespace ledger
