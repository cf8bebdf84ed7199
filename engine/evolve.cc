// Folding events into case and merchant state. Every number here comes from
// the event; the rules that produced it live in decide.cc.
#include <algorithm>

#include "engine/state.h"

namespace ledger {

namespace {
std::string Str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }
}  // namespace

const char* RoleName(fb::Role role) {
  return role == fb::Role::operator_ ? "operator" : fb::EnumNameRole(role);
}

std::string CaseStream(std::string_view case_id) { return "case/" + std::string(case_id); }
std::string MerchantStream(std::string_view merchant_id) {
  return "merchant/" + std::string(merchant_id);
}

bool IsTerminal(fb::CaseStatus s) {
  return s == fb::CaseStatus::closed || s == fb::CaseStatus::withdrawn ||
         s == fb::CaseStatus::rejected;
}

bool IsOpen(const CaseState& c) {
  return !c.case_id.empty() && c.accepted_at_ms > 0 && !IsTerminal(c.status);
}

void EvolveCase(CaseState& c, const fb::Event& e) {
  using S = fb::CaseStatus;
  const TimeMs at = e.occurred_at_ms();
  const bool own_stream = e.stream_id() && e.stream_id()->string_view().substr(0, 5) == "case/";
  if (own_stream) c.version = e.stream_version();
  c.last_event_ms = at;
  switch (e.payload_type()) {
    case fb::Payload::ComplaintFiled: {
      const auto* p = e.payload_as_ComplaintFiled();
      c.case_id = Str(p->case_id());
      c.merchant_id = Str(p->merchant_id());
      c.consumer_id = Str(p->consumer_id());
      c.status = S::awaiting_verification;
      c.filed_at_ms = at;
      c.transaction.reset(p->transaction() ? p->transaction()->UnPack() : nullptr);
      c.category = p->category();
      c.channel = p->channel();
      c.region = Str(p->region());
      c.tracking_code = Str(p->tracking_code());
      c.consumer_name_sealed.clear();
      c.consumer_phone_sealed.clear();
      if (p->consumer_name_sealed())
        c.consumer_name_sealed.assign(p->consumer_name_sealed()->begin(),
                                      p->consumer_name_sealed()->end());
      if (p->consumer_phone_sealed())
        c.consumer_phone_sealed.assign(p->consumer_phone_sealed()->begin(),
                                       p->consumer_phone_sealed()->end());
      break;
    }
    case fb::Payload::CfpbComplaintFiled: {
      const auto* p = e.payload_as_CfpbComplaintFiled();
      c.case_id = Str(p->case_id());
      c.merchant_id = Str(p->merchant_id());
      c.status = S::awaiting_verification;
      c.filed_at_ms = at;
      c.category = fb::Category::other;
      c.region = Str(p->state());
      c.cfpb_product = Str(p->product());
      c.cfpb_issue = Str(p->issue());
      c.cfpb_state = Str(p->state());
      c.cfpb_channel = Str(p->submitted_via());
      break;
    }
    case fb::Payload::CfpbStatusPublished:
      if (e.payload_as_CfpbStatusPublished()->closes()) {
        c.status = S::closed;
        c.close_reason = fb::CloseReason::company_response;
        c.closed_at_ms = at;
        c.deadline_ms = 0;
        c.closure_due_ms = 0;
        c.response_window = 0;
      }
      break;
    case fb::Payload::TransactionRejected:
      c.status = S::rejected;
      c.closed_at_ms = at;
      break;
    case fb::Payload::ComplaintRouted: {
      const auto* p = e.payload_as_ComplaintRouted();
      c.status = S::awaiting_response;
      c.authority = Str(p->authority());
      c.violation = p->violation();
      c.accepted_at_ms = at;
      c.response_window = 1;
      c.first_deadline_ms = c.deadline_ms = p->response_due_at_ms();
      c.closure_due_ms = p->closure_due_at_ms();
      break;
    }
    case fb::Payload::MerchantResponded: {
      const auto* p = e.payload_as_MerchantResponded();
      c.status = S::awaiting_consumer;
      c.deadline_ms = 0;
      c.response_window = 0;
      c.first_deadline_ms = 0;
      if (!c.responded) c.first_response_ms = at;
      c.responded = true;
      if (p->unanswered_decays_at_ms() > 0)
        c.unanswered_decays_at_ms = p->unanswered_decays_at_ms();
      break;
    }
    case fb::Payload::ConsumerReplied: {
      const auto* p = e.payload_as_ConsumerReplied();
      if (c.status != S::awaiting_response) {
        c.status = S::awaiting_response;
        c.response_window = 1;
        c.first_deadline_ms = c.deadline_ms = p->response_due_at_ms();
      }
      break;
    }
    case fb::Payload::ResponseDeadlineMissed: {
      const auto* p = e.payload_as_ResponseDeadlineMissed();
      ++c.delays;
      c.deadline_ms = p->next_due_at_ms();
      c.response_window = p->next_due_at_ms() > 0 ? p->window() + 1 : 0;
      break;
    }
    case fb::Payload::ComplaintUnanswered:
      c.unanswered = true;
      c.unanswered_at_ms = at;
      break;
    case fb::Payload::UnansweredDecayed:
      c.unanswered = false;
      c.unanswered_decays_at_ms = 0;
      break;
    case fb::Payload::NegotiationDeclaredSufficient:
      c.status = S::negotiation_closed;
      break;
    case fb::Payload::EscalatedToMediation: {
      const auto* p = e.payload_as_EscalatedToMediation();
      c.status = S::in_mediation;
      c.forum = fb::Forum::mediation;
      c.escalated = true;
      c.authority = Str(p->authority());
      c.deadline_ms = 0;
      c.response_window = 0;
      break;
    }
    case fb::Payload::EscalatedToArbitration: {
      const auto* p = e.payload_as_EscalatedToArbitration();
      c.status = S::in_arbitration;
      c.forum = fb::Forum::arbitration;
      c.escalated = true;
      c.authority = Str(p->authority());
      c.fee_rate_bp = p->fee_rate_bp();
      c.fee_amount = p->fee_amount();
      c.fee_payer = fb::Party::consumer;
      c.deadline_ms = p->defence_due_at_ms();
      c.response_window = 0;
      break;
    }
    case fb::Payload::DefenceFiled:
      c.status = S::awaiting_verdict;
      c.defence_filed = true;
      c.deadline_ms = 0;
      break;
    case fb::Payload::DefenceDeadlineMissed:
      c.status = S::awaiting_verdict;
      c.deadline_ms = 0;
      break;
    case fb::Payload::VerdictIssued: {
      const auto* p = e.payload_as_VerdictIssued();
      c.verdict_for = p->in_favour_of();
      c.remedy = p->remedy();
      c.remedy_amount = p->amount();
      if (p->remedy_due_at_ms() > 0) {
        c.status = S::remedy_due;
        c.deadline_ms = p->remedy_due_at_ms();
      }
      break;
    }
    case fb::Payload::RemedyCarriedOut:
      c.deadline_ms = 0;
      break;
    case fb::Payload::RemedyDeadlineMissed: {
      const auto* p = e.payload_as_RemedyDeadlineMissed();
      c.deadline_ms = 0;
      c.fee_payer = p->fee_payer();
      break;
    }
    case fb::Payload::ComplaintUnresolved:
      c.unresolved = true;
      c.closure_due_ms = 0;
      break;
    case fb::Payload::CaseClosed:
      c.status = S::closed;
      c.close_reason = e.payload_as_CaseClosed()->reason();
      c.closed_at_ms = at;
      c.deadline_ms = 0;
      c.closure_due_ms = 0;
      c.response_window = 0;
      break;
    case fb::Payload::CaseWithdrawn:
      c.status = S::withdrawn;
      c.closed_at_ms = at;
      c.deadline_ms = 0;
      c.closure_due_ms = 0;
      c.response_window = 0;
      break;
    case fb::Payload::ConsumerRated:
      c.rating = e.payload_as_ConsumerRated()->rating();
      break;
    default:
      break;
  }
}

namespace {
int Delta(bool before, bool after) { return static_cast<int>(after) - static_cast<int>(before); }

void ApplyCaseDeltas(MerchantState& m, const CaseState* before, const CaseState* after) {
  if (after == nullptr) return;
  const CaseState empty;
  const CaseState& b = before ? *before : empty;
  m.owing += Delta(Owes(b), Owes(*after));
  m.open_cases += Delta(IsOpen(b), IsOpen(*after));
  m.unresolved += Delta(CountsUnresolved(b), CountsUnresolved(*after));
  m.complaints += Delta(b.accepted_at_ms > 0, after->accepted_at_ms > 0);
  auto resolved = [](const CaseState& c) {
    return c.status == fb::CaseStatus::closed &&
           c.close_reason != fb::CloseReason::verdict_for_merchant;
  };
  m.resolved += Delta(resolved(b), resolved(*after));
}
}  // namespace

void EvolveMerchant(MerchantState& m, const fb::Event& e, const CaseState* before,
                    const CaseState* after) {
  const TimeMs at = e.occurred_at_ms();
  const bool own_stream = e.stream_id() && e.stream_id()->string_view().substr(0, 9) == "merchant/";
  if (own_stream) m.version = e.stream_version();
  m.last_event_ms = at;
  ++m.events;
  ApplyCaseDeltas(m, before, after);
  switch (e.payload_type()) {
    case fb::Payload::MerchantRegistered: {
      const auto* p = e.payload_as_MerchantRegistered();
      m.merchant_id = Str(p->merchant_id());
      m.name = Str(p->name());
      m.licence_date_ms = p->licence_date_ms();
      m.domains.clear();
      if (p->domains()) {
        for (const auto* d : *p->domains()) m.domains.push_back(d->str());
      }
      m.star_level = p->star_level();
      m.sector = Str(p->sector());
      m.region = Str(p->region());
      m.status = fb::MerchantStatus::active;
      break;
    }
    case fb::Payload::CfpbStatusPublished: {
      const auto* p = e.payload_as_CfpbStatusPublished();
      if (p->timely_response() && p->timely_response()->string_view() == "Yes") ++m.cfpb_timely;
      if (p->timely_response() && p->timely_response()->string_view() == "No") ++m.cfpb_untimely;
      if (p->consumer_disputed() && p->consumer_disputed()->string_view() == "Yes")
        ++m.cfpb_disputed;
      break;
    }
    case fb::Payload::StarLevelChanged:
      m.star_level = e.payload_as_StarLevelChanged()->to();
      break;
    case fb::Payload::ViolationRecorded: {
      const uint8_t level = e.payload_as_ViolationRecorded()->level();
      if (level == 1) ++m.violations_l1;
      if (level == 2) ++m.violations_l2;
      if (level == 3) ++m.violations_l3;
      break;
    }
    case fb::Payload::ResponseDeadlineMissed: {
      ++m.delays_active;
      ++m.delays_total;
      break;
    }
    case fb::Payload::DelayDecayed: {
      const auto* p = e.payload_as_DelayDecayed();
      if (m.delays_active > 0) --m.delays_active;
      if (p->warning_lifted() && m.status == fb::MerchantStatus::warned) {
        m.status = fb::MerchantStatus::active;
      }
      break;
    }
    case fb::Payload::ComplaintUnanswered:
      ++m.unanswered;
      if (m.first_unanswered_case.empty()) {
        m.first_unanswered_case = Str(e.payload_as_ComplaintUnanswered()->case_id());
        m.first_unanswered_late_ms = 0;
      }
      break;
    case fb::Payload::UnansweredDecayed: {
      if (m.unanswered > 0) --m.unanswered;
      const std::string id = Str(e.payload_as_UnansweredDecayed()->case_id());
      if (id == m.first_unanswered_case && m.status != fb::MerchantStatus::suspended) {
        m.first_unanswered_case.clear();
        m.first_unanswered_late_ms = 0;
      }
      break;
    }
    case fb::Payload::MerchantResponded: {
      const auto* p = e.payload_as_MerchantResponded();
      if (Str(p->case_id()) == m.first_unanswered_case && p->unanswered_decays_at_ms() > 0) {
        m.first_unanswered_late_ms = p->unanswered_decays_at_ms() - at;
      }
      if (p->reinstatement_due_at_ms() > 0)
        m.reinstatement_due_at_ms = p->reinstatement_due_at_ms();
      break;
    }
    case fb::Payload::SuspensionWarning:
      if (m.status == fb::MerchantStatus::active) m.status = fb::MerchantStatus::warned;
      break;
    case fb::Payload::MerchantSuspended:
      m.status = fb::MerchantStatus::suspended;
      m.suspended_at_ms = at;
      m.reinstatement_due_at_ms = 0;
      break;
    case fb::Payload::MerchantReinstated:
      m.status = fb::MerchantStatus::active;
      m.suspended_at_ms = 0;
      m.reinstatement_due_at_ms = 0;
      m.first_unanswered_case.clear();
      m.first_unanswered_late_ms = 0;
      break;
    default:
      break;
  }
}

std::vector<Timer> TimersOf(const CaseState& c) {
  std::vector<Timer> out;
  if (c.case_id.empty()) return out;
  if (c.deadline_ms > 0)
    out.push_back({c.deadline_ms, TimerKind::kCaseDeadline, c.merchant_id, c.case_id, 0});
  if (c.closure_due_ms > 0)
    out.push_back({c.closure_due_ms, TimerKind::kClosure, c.merchant_id, c.case_id, 0});
  if (c.unanswered && c.unanswered_decays_at_ms > 0) {
    out.push_back(
        {c.unanswered_decays_at_ms, TimerKind::kUnansweredDecay, c.merchant_id, c.case_id, 0});
  }
  return out;
}

bool Implies(const Timer& t, const CaseState* c, const MerchantState* m) {
  switch (t.kind) {
    case TimerKind::kDelayDecay:
      // A delay's timer is deleted by its decay, the only event that ends it.
      return m != nullptr && m->delays_active > 0;
    case TimerKind::kReinstatement:
      return m != nullptr && m->status == fb::MerchantStatus::suspended && m->owing == 0 &&
             m->reinstatement_due_at_ms == t.due;
    default: {
      if (c == nullptr) return false;
      const auto all = TimersOf(*c);
      return std::find(all.begin(), all.end(), t) != all.end();
    }
  }
}

Timer DelayTimer(std::string_view merchant_id, std::string_view case_id, uint8_t window,
                 TimeMs due) {
  return {due, TimerKind::kDelayDecay, std::string(merchant_id), std::string(case_id), window};
}

std::optional<Timer> ReinstatementTimerOf(const MerchantState& m) {
  if (m.status == fb::MerchantStatus::suspended && m.owing == 0 && m.reinstatement_due_at_ms > 0) {
    return Timer{m.reinstatement_due_at_ms, TimerKind::kReinstatement, m.merchant_id, "", 0};
  }
  return std::nullopt;
}

}  // namespace ledger
