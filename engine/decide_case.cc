// A case after acceptance: the negotiation (answer, reply, accept, declare
// sufficient), escalation to mediation or arbitration, the defence, the
// verdict, the remedy, withdrawal and the consumer's rating.
#include <cmath>

#include <fmt/format.h>

#include "engine/decide_internal.h"

namespace ledger::decide_internal {

namespace {

using R = fb::Role;

// The party on whose behalf an escalation is made.
Result<fb::Party> EscalatingParty(const fb::CommandEnvelope& cmd, const fb::Escalate& e) {
  switch (cmd.actor()->role()) {
    case fb::Role::consumer:
      return fb::Party::consumer;
    case fb::Role::merchant:
      return fb::Party::merchant;
    case fb::Role::operator_:
      if (!e.by().has_value()) {
        return Status::InvalidArgument(
            "Escalate: an operator must say 'by' (consumer or merchant)");
      }
      return *e.by();
    default:
      return Status::PermissionDenied(
          fmt::format("a {} may not Escalate", RoleName(cmd.actor()->role())));
  }
}

// Whether `by` may escalate the case as it stands.
Status MayEscalate(const CaseState& c, fb::Party by) {
  const bool consumer_may = c.status == S::awaiting_consumer || c.status == S::negotiation_closed ||
                            (c.status == S::awaiting_response && c.unanswered);
  const bool merchant_may = c.status == S::awaiting_consumer;
  if (by == fb::Party::consumer && !consumer_may) {
    return Refuse(c, "Escalate",
                  "the consumer escalates after an answer, or once the complaint is unanswered");
  }
  if (by == fb::Party::merchant && !merchant_may) {
    return Refuse(c, "Escalate", "the merchant escalates only after answering");
  }
  return Status::Ok();
}

Decision ToMediation(const fb::Escalate& x, const CaseState& c, fb::Party by) {
  if (x.fee_rate_percent().has_value()) {
    return Status::InvalidArgument("Escalate: fee_rate_percent applies to arbitration only");
  }
  fb::EscalatedToMediationT e;
  e.case_id = c.case_id;
  e.by = by;
  e.authority = c.authority;
  return One(Ev(std::move(e)));
}

// The fee is a rate within the policy's bounds, in basis points of the
// transaction's amount; the defence window opens now.
Decision ToArbitration(const fb::Escalate& x, const CaseState& c, fb::Party by,
                       const DecideContext& ctx) {
  if (!x.fee_rate_percent().has_value()) {
    return Status::InvalidArgument("Escalate: arbitration needs 'fee_rate_percent'");
  }
  const double pct = *x.fee_rate_percent();
  if (!(pct >= ctx.policy.fee_percent_min && pct <= ctx.policy.fee_percent_max)) {
    return Status::InvalidArgument(
        fmt::format("Escalate: fee_rate_percent {} is outside the policy's {}..{} %", pct,
                    ctx.policy.fee_percent_min, ctx.policy.fee_percent_max));
  }
  fb::EscalatedToArbitrationT e;
  e.case_id = c.case_id;
  e.by = by;
  e.fee_rate_bp = static_cast<uint16_t>(std::lround(pct * 100));
  const int64_t amount = c.transaction ? c.transaction->amount : 0;
  e.fee_amount = amount / 10000 * e.fee_rate_bp + amount % 10000 * e.fee_rate_bp / 10000;
  e.authority = ctx.policy.arbitration_authority;
  e.defence_due_at_ms = ctx.now + ctx.policy.defence_window;
  return One(Ev(std::move(e)));
}

// How long the suspension lasts once every open complaint is answered: as
// long as the first unanswered complaint was late (DOMAIN.md, interpretation).
TimeMs SuspensionRemainder(const MerchantState& m, const CaseState& answering, TimeMs now) {
  if (m.first_unanswered_case.empty()) return 0;
  if (m.first_unanswered_case == answering.case_id && answering.unanswered) {
    return Policy::CeilDays(now - answering.unanswered_at_ms);
  }
  return m.first_unanswered_late_ms;
}

Draft Closed(const CaseState& c, fb::CloseReason reason) {
  fb::CaseClosedT closed;
  closed.case_id = c.case_id;
  closed.reason = reason;
  return Ev(std::move(closed));
}

}  // namespace

Decision DecideRespond(const fb::CommandEnvelope& cmd, const CaseState& c,
                       const DecideContext& ctx) {
  LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::merchant}));
  const char* name = "Respond";
  if (c.status != S::awaiting_response) return Refuse(c, name, "the merchant owes no answer now");
  std::vector<Draft> out;
  fb::MerchantRespondedT e;
  e.case_id = c.case_id;
  e.message = Str(cmd.command_as_Respond()->message());
  e.late_by_ms =
      c.first_deadline_ms > 0 && ctx.now > c.first_deadline_ms ? ctx.now - c.first_deadline_ms : 0;
  if (c.unanswered && c.unanswered_decays_at_ms == 0) {
    e.unanswered_decays_at_ms = ctx.now + Policy::CeilDays(ctx.now - c.unanswered_at_ms);
  }
  bool reinstate_now = false;
  const MerchantState& m = *ctx.merchant;
  if (m.status == fb::MerchantStatus::suspended && m.owing == 1) {
    e.reinstatement_due_at_ms = ctx.now + SuspensionRemainder(m, c, ctx.now);
    reinstate_now = e.reinstatement_due_at_ms <= ctx.now;
  }
  out.push_back(Ev(std::move(e)));
  if (reinstate_now) {
    fb::MerchantReinstatedT r;
    r.merchant_id = m.merchant_id;
    r.reason = "every open complaint answered";
    out.push_back(Ev(std::move(r), true));
  }
  return out;
}

Decision DecideReply(const fb::CommandEnvelope& cmd, const CaseState& c, const DecideContext& ctx) {
  LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::consumer}));
  if (c.status != S::awaiting_response && c.status != S::awaiting_consumer &&
      c.status != S::negotiation_closed) {
    return Refuse(c, "Reply", "replies belong to the negotiation");
  }
  fb::ConsumerRepliedT e;
  e.case_id = c.case_id;
  e.message = Str(cmd.command_as_Reply()->message());
  // The merchant's clock restarts unless it already owes an answer.
  e.response_due_at_ms =
      c.status == S::awaiting_response ? c.deadline_ms : ctx.now + ctx.policy.response_windows[0];
  return One(Ev(std::move(e)));
}

Decision DecideAccept(const fb::CommandEnvelope& cmd, const CaseState& c) {
  LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::consumer}));
  if (c.status != S::awaiting_consumer && c.status != S::negotiation_closed) {
    return Refuse(c, "Accept", "the consumer accepts an answer the merchant has given");
  }
  std::vector<Draft> out;
  fb::ConsumerAcceptedT a;
  a.case_id = c.case_id;
  out.push_back(Ev(std::move(a)));
  out.push_back(Closed(c, fb::CloseReason::agreement));
  return out;
}

Decision DecideDeclareSufficient(const fb::CommandEnvelope& cmd, const CaseState& c) {
  LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::merchant}));
  if (c.status != S::awaiting_consumer) {
    return Refuse(c, "DeclareSufficient",
                  "the merchant declares negotiation sufficient after answering");
  }
  fb::NegotiationDeclaredSufficientT e;
  e.case_id = c.case_id;
  return One(Ev(std::move(e)));
}

Decision DecideEscalate(const fb::CommandEnvelope& cmd, const CaseState& c,
                        const DecideContext& ctx) {
  LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::consumer, R::merchant}));
  const auto* x = cmd.command_as_Escalate();
  LEDGER_ASSIGN_OR_RETURN(fb::Party by, EscalatingParty(cmd, *x));
  if (!x->forum().has_value()) {
    return Status::InvalidArgument("Escalate: 'forum' is required (mediation or arbitration)");
  }
  LEDGER_RETURN_IF_ERROR(MayEscalate(c, by));
  if (*x->forum() == fb::Forum::mediation) return ToMediation(*x, c, by);
  return ToArbitration(*x, c, by, ctx);
}

Decision DecideFileDefence(const fb::CommandEnvelope& cmd, const CaseState& c) {
  LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::merchant}));
  if (c.status != S::in_arbitration) {
    return Refuse(c, "FileDefence", "a defence is filed in arbitration, within its window");
  }
  fb::DefenceFiledT e;
  e.case_id = c.case_id;
  e.statement = Str(cmd.command_as_FileDefence()->statement());
  return One(Ev(std::move(e)));
}

// A verdict for the consumer names a remedy and its deadline; one for the
// merchant closes the case.
Decision DecideVerdict(const fb::CommandEnvelope& cmd, const CaseState& c,
                       const DecideContext& ctx) {
  LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::authority}));
  const auto* v = cmd.command_as_IssueVerdict();
  const bool mediation = c.status == S::in_mediation;
  if (!mediation && c.status != S::awaiting_verdict) {
    return Refuse(c, "IssueVerdict",
                  c.status == S::in_arbitration ? "the merchant's defence window is still open"
                                                : "the case is not before an authority");
  }
  if (!v->in_favour_of().has_value()) {
    return Status::InvalidArgument(
        "IssueVerdict: 'in_favour_of' is required (consumer or merchant)");
  }
  if (v->amount() < 0) return Status::InvalidArgument("IssueVerdict: amount must not be negative");
  const bool for_consumer = *v->in_favour_of() == fb::Party::consumer;
  if (for_consumer && v->remedy() == fb::Remedy::none) {
    return Status::InvalidArgument("IssueVerdict: a verdict for the consumer names a remedy");
  }
  std::vector<Draft> out;
  fb::VerdictIssuedT e;
  e.case_id = c.case_id;
  e.forum = mediation ? fb::Forum::mediation : fb::Forum::arbitration;
  e.in_favour_of = *v->in_favour_of();
  e.remedy = v->remedy();
  e.amount = v->amount();
  if (for_consumer) {
    e.remedy_due_at_ms = ctx.now + (mediation ? ctx.policy.mediation_remedy_window
                                              : ctx.policy.arbitration_remedy_window);
  }
  out.push_back(Ev(std::move(e)));
  if (!for_consumer) out.push_back(Closed(c, fb::CloseReason::verdict_for_merchant));
  return out;
}

// Carried out after its deadline, the remedy is recorded as late.
Decision DecideCarryOutRemedy(const fb::CommandEnvelope& cmd, const CaseState& c) {
  LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::consumer, R::authority}));
  if (c.status != S::remedy_due) return Refuse(c, "CarryOutRemedy", "no remedy is due");
  std::vector<Draft> out;
  fb::RemedyCarriedOutT e;
  e.case_id = c.case_id;
  e.late = c.unresolved;
  out.push_back(Ev(std::move(e)));
  out.push_back(Closed(c, fb::CloseReason::remedy_carried_out));
  return out;
}

Decision DecideWithdraw(const fb::CommandEnvelope& cmd, const CaseState& c) {
  LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::consumer}));
  fb::CaseWithdrawnT e;
  e.case_id = c.case_id;
  e.reason = Str(cmd.command_as_Withdraw()->reason());
  return One(Ev(std::move(e)));
}

// Once, after the case closed, from 1 to 5.
Decision DecideRate(const fb::CommandEnvelope& cmd, const CaseState& c) {
  LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::consumer}));
  const auto* r = cmd.command_as_Rate();
  if (c.status != S::closed)
    return Refuse(c, "Rate", "the handling is rated once the case is closed");
  if (c.rating != 0) return Refuse(c, "Rate", fmt::format("already rated {}", c.rating));
  if (!r->rating().has_value() || *r->rating() < 1 || *r->rating() > 5) {
    return Status::InvalidArgument("Rate: 'rating' must be 1..5");
  }
  fb::ConsumerRatedT e;
  e.case_id = c.case_id;
  e.rating = *r->rating();
  return One(Ev(std::move(e)));
}

}  // namespace ledger::decide_internal
