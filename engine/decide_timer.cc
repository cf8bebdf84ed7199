// Timers that fell due (DecideTimer): missed deadlines along the answer
// ladder, the defence and the remedy; the closure deadline; the decay of an
// unanswered mark and of a delay; a suspended merchant's reinstatement.
#include <fmt/format.h>

#include "engine/decide_internal.h"

namespace ledger {

namespace {

using namespace decide_internal;

// Merchant-side consequences of one more active delay.
void WarnOrSuspend(const MerchantState& m, const Policy& policy, std::vector<Draft>& out) {
  const unsigned active = m.delays_active + 1;
  if (m.status != fb::MerchantStatus::suspended && active >= policy.suspension_active_delays) {
    fb::MerchantSuspendedT s;
    s.merchant_id = m.merchant_id;
    s.active_delays = active;
    s.reason = fmt::format("{} active delays (policy: suspension at {})", active,
                           policy.suspension_active_delays);
    out.push_back(Ev(std::move(s), true));
  } else if (m.status == fb::MerchantStatus::active && active >= policy.warning_active_delays) {
    fb::SuspensionWarningT w;
    w.merchant_id = m.merchant_id;
    w.active_delays = active;
    out.push_back(Ev(std::move(w), true));
  }
}

// The merchant missed window `c.response_window` of the ladder: one delay,
// the next window, or after the last one the unanswered mark.
std::vector<Draft> ResponseDeadlineMissed(const Timer& t, const CaseState& c,
                                          const MerchantState& m, const Policy& policy) {
  std::vector<Draft> out;
  const auto& windows = policy.response_windows;
  const uint8_t w = c.response_window;
  fb::ResponseDeadlineMissedT e;
  e.case_id = c.case_id;
  e.window = w;
  e.delay_decays_at_ms = t.due + policy.delay_decay;
  e.next_due_at_ms = w < windows.size() ? t.due + windows[w] : 0;
  const bool last = e.next_due_at_ms == 0;
  out.push_back(Ev(std::move(e)));
  if (last) {
    fb::ComplaintUnansweredT u;
    u.case_id = c.case_id;
    out.push_back(Ev(std::move(u)));
  }
  WarnOrSuspend(m, policy, out);
  return out;
}

// A remedy not carried out in time: the arbitration fee moves to the
// merchant, and the complaint is unresolved.
std::vector<Draft> RemedyDeadlineMissed(const CaseState& c) {
  std::vector<Draft> out;
  fb::RemedyDeadlineMissedT e;
  e.case_id = c.case_id;
  e.fee_payer = c.forum == fb::Forum::arbitration ? fb::Party::merchant : fb::Party::consumer;
  e.fee_amount = c.fee_amount;
  out.push_back(Ev(std::move(e)));
  fb::ComplaintUnresolvedT u;
  u.case_id = c.case_id;
  out.push_back(Ev(std::move(u)));
  return out;
}

// The case's one deadline, read by what the case is waiting for.
std::vector<Draft> CaseDeadlinePassed(const Timer& t, const DecideContext& ctx) {
  const CaseState& c = *ctx.case_state;
  if (c.status == S::awaiting_response) {
    return ResponseDeadlineMissed(t, c, *ctx.merchant, ctx.policy);
  }
  std::vector<Draft> out;
  if (c.status == S::in_arbitration) {
    fb::DefenceDeadlineMissedT e;
    e.case_id = c.case_id;
    out.push_back(Ev(std::move(e)));
  } else if (c.status == S::remedy_due && !c.unresolved) {
    out = RemedyDeadlineMissed(c);
  }
  return out;
}

std::vector<Draft> ClosureDeadlinePassed(const CaseState& c) {
  std::vector<Draft> out;
  if (IsOpen(c) && !c.unresolved) {
    fb::ComplaintUnresolvedT u;
    u.case_id = c.case_id;
    u.closure_overdue = true;
    out.push_back(Ev(std::move(u)));
  }
  return out;
}

std::vector<Draft> UnansweredDecays(const CaseState& c) {
  std::vector<Draft> out;
  fb::UnansweredDecayedT e;
  e.case_id = c.case_id;
  out.push_back(Ev(std::move(e)));
  return out;
}

// A delay decays; the warning goes when fewer than the policy's warning
// count stay active.
std::vector<Draft> DelayDecays(const Timer& t, const MerchantState& m, const Policy& policy) {
  std::vector<Draft> out;
  fb::DelayDecayedT e;
  e.merchant_id = m.merchant_id;
  e.case_id = t.case_id;
  e.window = t.window;
  e.warning_lifted =
      m.status == fb::MerchantStatus::warned && m.delays_active - 1 < policy.warning_active_delays;
  out.push_back(Ev(std::move(e), true));
  return out;
}

std::vector<Draft> ReinstatementDue(const MerchantState& m) {
  std::vector<Draft> out;
  fb::MerchantReinstatedT e;
  e.merchant_id = m.merchant_id;
  e.reason = "every open complaint answered and the suspension served";
  out.push_back(Ev(std::move(e), true));
  return out;
}

}  // namespace

std::vector<Draft> DecideTimer(const Timer& t, const DecideContext& ctx) {
  switch (t.kind) {
    case TimerKind::kCaseDeadline:
      return CaseDeadlinePassed(t, ctx);
    case TimerKind::kClosure:
      return ClosureDeadlinePassed(*ctx.case_state);
    case TimerKind::kUnansweredDecay:
      return UnansweredDecays(*ctx.case_state);
    case TimerKind::kDelayDecay:
      return DelayDecays(t, *ctx.merchant, ctx.policy);
    case TimerKind::kReinstatement:
      return ReinstatementDue(*ctx.merchant);
  }
  return {};
}

}  // namespace ledger
