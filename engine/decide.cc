#include "engine/decide.h"

#include <cmath>

#include <fmt/format.h>
#include <sodium.h>

#include "engine/personal_data.h"

namespace ledger {

namespace {

using S = fb::CaseStatus;

template <typename T>
Draft Ev(T&& payload, bool merchant_stream = false) {
  Draft d;
  d.merchant_stream = merchant_stream;
  d.payload.Set(std::forward<T>(payload));
  return d;
}

std::string Str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

const char* StatusName(S s) { return fb::EnumNameCaseStatus(s); }

Status Refuse(const CaseState& c, const char* cmd, const std::string& why) {
  return Status::Rejected(
      fmt::format("case {} is {}: {} is not allowed ({})", c.case_id, StatusName(c.status), cmd, why));
}

// Who may act: the operator always; a party only on its own case.
Status Authorize(const fb::CommandEnvelope& cmd, const CaseState& c,
                 std::initializer_list<fb::Role> roles) {
  const auto role = cmd.actor()->role();
  const std::string id = Str(cmd.actor()->id());
  const char* name = CommandName(cmd.command_type());
  if (role == fb::Role::operator_) return Status::Ok();
  for (auto r : roles) {
    if (r != role) continue;
    if (IsPartyTo(role, id, c)) return Status::Ok();
    return Status::PermissionDenied(fmt::format("{} {} may not {} on case {}: not its case",
                                                RoleName(role), id, name, c.case_id));
  }
  return Status::PermissionDenied(
      fmt::format("a {} may not {} (case {})", RoleName(role), name, c.case_id));
}

Status AuthorizeMerchantCommand(const fb::CommandEnvelope& cmd, bool authority_too) {
  const auto role = cmd.actor()->role();
  if (role == fb::Role::operator_ || (authority_too && role == fb::Role::authority)) {
    return Status::Ok();
  }
  return Status::PermissionDenied(fmt::format("a {} may not {}", RoleName(role),
                                              CommandName(cmd.command_type())));
}

// The party on whose behalf an escalation is made.
Result<fb::Party> EscalatingParty(const fb::CommandEnvelope& cmd, const fb::Escalate& e) {
  switch (cmd.actor()->role()) {
    case fb::Role::consumer: return fb::Party::consumer;
    case fb::Role::merchant: return fb::Party::merchant;
    case fb::Role::operator_:
      if (!e.by().has_value()) {
        return Status::InvalidArgument("Escalate: an operator must say 'by' (consumer or merchant)");
      }
      return *e.by();
    default:
      return Status::PermissionDenied(
          fmt::format("a {} may not Escalate", RoleName(cmd.actor()->role())));
  }
}

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

Result<std::vector<Draft>> DecideFile(const fb::CommandEnvelope& cmd, const std::string& case_id,
                                      const DecideContext& ctx) {
  const auto* f = cmd.command_as_FileComplaint();
  const std::string merchant_id = Str(f->merchant_id());
  if (cmd.actor()->role() == fb::Role::consumer && Str(cmd.actor()->id()) != Str(f->consumer_id())) {
    return Status::PermissionDenied(fmt::format("consumer {} may not file for consumer {}",
                                                Str(cmd.actor()->id()), Str(f->consumer_id())));
  }
  if (cmd.actor()->role() != fb::Role::consumer && cmd.actor()->role() != fb::Role::operator_) {
    return Status::PermissionDenied(
        fmt::format("a {} may not FileComplaint", RoleName(cmd.actor()->role())));
  }
  if (ctx.merchant == nullptr) {
    return Status::NotFound(fmt::format(
        "FileComplaint: merchant {} is not registered (only holders of the trust symbol)", merchant_id));
  }
  if (ctx.merchant->status == fb::MerchantStatus::suspended) {
    return Status::Rejected(fmt::format("FileComplaint: merchant {} is suspended", merchant_id));
  }
  if (ctx.case_state != nullptr) {
    return Status::Conflict(fmt::format("FileComplaint: case {} already exists", case_id));
  }
  if (!f->amount().has_value()) return Status::InvalidArgument("FileComplaint: 'amount' is required");
  if (*f->amount() <= 0) {
    return Status::InvalidArgument(
        fmt::format("FileComplaint: amount must be positive, got {}", *f->amount()));
  }
  if (!f->category().has_value()) {
    return Status::InvalidArgument("FileComplaint: 'category' is required");
  }
  if (f->payment_method() == fb::PaymentMethod::cash) {
    return Status::Rejected(
        "FileComplaint: cash purchases cannot be filed: payment must have gone through the card gateway");
  }
  if (Str(f->invoice_number()).empty() && Str(f->tracking_code()).empty()) {
    return Status::InvalidArgument(
        "FileComplaint: an 'invoice_number' or a purchase 'tracking_code' is required");
  }
  for (const auto* field : {f->reference_number(), f->terminal(), f->consumer_id(), f->merchant_id()}) {
    if (Str(field).empty()) {
      return Status::InvalidArgument("FileComplaint: merchant_id, consumer_id, reference_number "
                                     "and terminal must not be empty");
    }
  }
  LEDGER_RETURN_IF_ERROR(ValidatePersonalData(Str(f->consumer_name()), Str(f->consumer_phone())));
  auto date = ParseTime(Str(f->purchase_date()));
  if (!date.ok()) {
    return Status::InvalidArgument("FileComplaint: purchase_date: " + date.status().message());
  }
  if (*date > ctx.now) {
    return Status::InvalidArgument(fmt::format("FileComplaint: purchase_date {} is in the future",
                                               Str(f->purchase_date())));
  }
  if (ctx.transaction_taken) {
    return Status::Conflict(fmt::format(
        "FileComplaint: transaction {} (terminal {}, {}, amount {}) already has complaint {}",
        Str(f->reference_number()), Str(f->terminal()), Str(f->purchase_date()), *f->amount(),
        ctx.taken_by));
  }
  fb::ComplaintFiledT e;
  e.case_id = case_id;
  e.merchant_id = merchant_id;
  e.consumer_id = Str(f->consumer_id());
  e.transaction = std::make_unique<fb::TransactionT>();
  e.transaction->reference_number = Str(f->reference_number());
  e.transaction->terminal = Str(f->terminal());
  e.transaction->purchase_date_ms = *date;
  e.transaction->amount = *f->amount();
  e.transaction->invoice_number = Str(f->invoice_number());
  e.transaction->tracking_code = Str(f->tracking_code());
  e.transaction->payment_method = f->payment_method();
  e.category = *f->category();
  e.channel = f->channel();
  e.description = Str(f->description());
  if (f->document_hashes()) {
    for (const auto* h : *f->document_hashes()) e.document_hashes.push_back(h->str());
  }
  e.region = Str(f->region()).empty() ? ctx.merchant->region : Str(f->region());
  e.tracking_code = TrackingCodeFor(case_id);
  std::vector<Draft> out;
  out.push_back(Ev(std::move(e)));
  return out;
}

Result<std::vector<Draft>> DecideMerchantCommand(const fb::CommandEnvelope& cmd,
                                                 const DecideContext& ctx) {
  const MerchantState* m = ctx.merchant;
  const std::string merchant_id = CommandMerchantId(cmd);
  auto must_exist = [&]() -> Status {
    if (m == nullptr) {
      return Status::NotFound(fmt::format("{}: merchant {} is not registered",
                                          CommandName(cmd.command_type()), merchant_id));
    }
    return Status::Ok();
  };
  std::vector<Draft> out;
  switch (cmd.command_type()) {
    case fb::Command::RegisterMerchant: {
      LEDGER_RETURN_IF_ERROR(AuthorizeMerchantCommand(cmd, false));
      const auto* r = cmd.command_as_RegisterMerchant();
      if (m != nullptr) {
        return Status::Conflict(fmt::format("RegisterMerchant: merchant {} is already registered", merchant_id));
      }
      if (merchant_id.empty() || Str(r->name()).empty()) {
        return Status::InvalidArgument("RegisterMerchant: merchant_id and name must not be empty");
      }
      auto licence = ParseTime(Str(r->licence_date()));
      if (!licence.ok()) return Status::InvalidArgument("RegisterMerchant: licence_date: " + licence.status().message());
      if (*licence > ctx.now) {
        return Status::InvalidArgument(fmt::format("RegisterMerchant: licence_date {} is in the future", Str(r->licence_date())));
      }
      if (r->domains()->size() == 0) return Status::InvalidArgument("RegisterMerchant: at least one domain is required");
      fb::MerchantRegisteredT e;
      e.merchant_id = merchant_id;
      e.name = Str(r->name());
      e.licence_date_ms = *licence;
      for (const auto* d : *r->domains()) {
        if (d->size() == 0) return Status::InvalidArgument("RegisterMerchant: a domain is empty");
        e.domains.push_back(d->str());
      }
      e.star_level = r->star_level();
      e.sector = Str(r->sector());
      e.region = Str(r->region());
      out.push_back(Ev(std::move(e), true));
      return out;
    }
    case fb::Command::ChangeStarLevel: {
      LEDGER_RETURN_IF_ERROR(AuthorizeMerchantCommand(cmd, false));
      LEDGER_RETURN_IF_ERROR(must_exist());
      const auto* c = cmd.command_as_ChangeStarLevel();
      if (!c->star_level().has_value()) return Status::InvalidArgument("ChangeStarLevel: 'star_level' is required");
      if (*c->star_level() == m->star_level) {
        return Status::Rejected(fmt::format("ChangeStarLevel: merchant {} already has star level {}",
                                            merchant_id, fb::EnumNameStarLevel(m->star_level)));
      }
      fb::StarLevelChangedT e;
      e.merchant_id = merchant_id;
      e.from = m->star_level;
      e.to = *c->star_level();
      out.push_back(Ev(std::move(e), true));
      return out;
    }
    case fb::Command::RecordViolation: {
      LEDGER_RETURN_IF_ERROR(AuthorizeMerchantCommand(cmd, true));
      LEDGER_RETURN_IF_ERROR(must_exist());
      const auto* v = cmd.command_as_RecordViolation();
      if (!v->level().has_value() || *v->level() < 1 || *v->level() > 3) {
        return Status::InvalidArgument("RecordViolation: 'level' must be 1, 2 or 3");
      }
      const std::string case_id = Str(v->case_id());
      if (!case_id.empty() && (ctx.case_state == nullptr || ctx.case_state->merchant_id != merchant_id)) {
        return Status::NotFound(fmt::format("RecordViolation: case {} is not a case against merchant {}", case_id, merchant_id));
      }
      fb::ViolationRecordedT e;
      e.merchant_id = merchant_id;
      e.level = *v->level();
      e.rule = Str(v->rule());
      e.case_id = case_id;
      out.push_back(Ev(std::move(e), true));
      return out;
    }
    case fb::Command::SuspendMerchant: {
      LEDGER_RETURN_IF_ERROR(AuthorizeMerchantCommand(cmd, true));
      LEDGER_RETURN_IF_ERROR(must_exist());
      if (m->status == fb::MerchantStatus::suspended) {
        return Status::Rejected(fmt::format("SuspendMerchant: merchant {} is already suspended", merchant_id));
      }
      fb::MerchantSuspendedT e;
      e.merchant_id = merchant_id;
      e.reason = Str(cmd.command_as_SuspendMerchant()->reason());
      e.active_delays = m->delays_active;
      out.push_back(Ev(std::move(e), true));
      return out;
    }
    case fb::Command::ReinstateMerchant: {
      LEDGER_RETURN_IF_ERROR(AuthorizeMerchantCommand(cmd, false));
      LEDGER_RETURN_IF_ERROR(must_exist());
      if (m->status != fb::MerchantStatus::suspended) {
        return Status::Rejected(fmt::format("ReinstateMerchant: merchant {} is not suspended", merchant_id));
      }
      fb::MerchantReinstatedT e;
      e.merchant_id = merchant_id;
      e.reason = Str(cmd.command_as_ReinstateMerchant()->reason());
      out.push_back(Ev(std::move(e), true));
      return out;
    }
    default:
      return Status::InvalidArgument("not a merchant command");
  }
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

Result<std::vector<Draft>> DecideRespond(const fb::CommandEnvelope& cmd, const CaseState& c,
                                         const DecideContext& ctx) {
  const char* name = "Respond";
  if (c.status != S::awaiting_response) return Refuse(c, name, "the merchant owes no answer now");
  std::vector<Draft> out;
  fb::MerchantRespondedT e;
  e.case_id = c.case_id;
  e.message = Str(cmd.command_as_Respond()->message());
  e.late_by_ms = c.first_deadline_ms > 0 && ctx.now > c.first_deadline_ms
                     ? ctx.now - c.first_deadline_ms : 0;
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

Result<std::vector<Draft>> DecideEscalate(const fb::CommandEnvelope& cmd, const CaseState& c,
                                          const DecideContext& ctx) {
  const auto* x = cmd.command_as_Escalate();
  LEDGER_ASSIGN_OR_RETURN(fb::Party by, EscalatingParty(cmd, *x));
  if (!x->forum().has_value()) {
    return Status::InvalidArgument("Escalate: 'forum' is required (mediation or arbitration)");
  }
  const bool consumer_may = c.status == S::awaiting_consumer || c.status == S::negotiation_closed ||
                            (c.status == S::awaiting_response && c.unanswered);
  const bool merchant_may = c.status == S::awaiting_consumer;
  if (by == fb::Party::consumer && !consumer_may) {
    return Refuse(c, "Escalate", "the consumer escalates after an answer, or once the complaint is unanswered");
  }
  if (by == fb::Party::merchant && !merchant_may) {
    return Refuse(c, "Escalate", "the merchant escalates only after answering");
  }
  std::vector<Draft> out;
  if (*x->forum() == fb::Forum::mediation) {
    if (x->fee_rate_percent().has_value()) {
      return Status::InvalidArgument("Escalate: fee_rate_percent applies to arbitration only");
    }
    fb::EscalatedToMediationT e;
    e.case_id = c.case_id;
    e.by = by;
    e.authority = c.authority;
    out.push_back(Ev(std::move(e)));
    return out;
  }
  if (!x->fee_rate_percent().has_value()) {
    return Status::InvalidArgument("Escalate: arbitration needs 'fee_rate_percent'");
  }
  const double pct = *x->fee_rate_percent();
  if (!(pct >= ctx.policy.fee_percent_min && pct <= ctx.policy.fee_percent_max)) {
    return Status::InvalidArgument(fmt::format(
        "Escalate: fee_rate_percent {} is outside the policy's {}..{} %", pct,
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
  out.push_back(Ev(std::move(e)));
  return out;
}

Result<std::vector<Draft>> DecideVerdict(const fb::CommandEnvelope& cmd, const CaseState& c,
                                         const DecideContext& ctx) {
  const auto* v = cmd.command_as_IssueVerdict();
  const bool mediation = c.status == S::in_mediation;
  if (!mediation && c.status != S::awaiting_verdict) {
    return Refuse(c, "IssueVerdict",
                  c.status == S::in_arbitration ? "the merchant's defence window is still open"
                                                : "the case is not before an authority");
  }
  if (!v->in_favour_of().has_value()) {
    return Status::InvalidArgument("IssueVerdict: 'in_favour_of' is required (consumer or merchant)");
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
  if (!for_consumer) {
    fb::CaseClosedT closed;
    closed.case_id = c.case_id;
    closed.reason = fb::CloseReason::verdict_for_merchant;
    out.push_back(Ev(std::move(closed)));
  }
  return out;
}

Result<std::vector<Draft>> DecideCase(const fb::CommandEnvelope& cmd, const CaseState& c,
                                      const DecideContext& ctx) {
  using R = fb::Role;
  const fb::Command type = cmd.command_type();
  const char* name = CommandName(type);
  std::vector<Draft> out;
  if (IsTerminal(c.status) && type != fb::Command::Rate) {
    return Refuse(c, name, "the case is over");
  }
  switch (type) {
    case fb::Command::VerifyTransaction:
    case fb::Command::RejectTransaction: {
      LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {}));
      if (c.status != S::awaiting_verification) return Refuse(c, name, "the transaction was already verified");
      if (type == fb::Command::RejectTransaction) {
        fb::TransactionRejectedT e;
        e.case_id = c.case_id;
        e.reason = Str(cmd.command_as_RejectTransaction()->reason());
        out.push_back(Ev(std::move(e)));
        return out;
      }
      fb::TransactionVerifiedT v;
      v.case_id = c.case_id;
      out.push_back(Ev(std::move(v)));
      const MerchantState& m = *ctx.merchant;
      const Route route = ctx.policy.RouteFor(c.category, m.sector, c.region);
      fb::ComplaintRoutedT r;
      r.case_id = c.case_id;
      r.authority = route.authority;
      r.violation = route.violation;
      r.response_due_at_ms = ctx.now + ctx.policy.response_windows[0];
      r.closure_due_at_ms = ctx.policy.closure_window > 0 ? ctx.now + ctx.policy.closure_window : 0;
      out.push_back(Ev(std::move(r)));
      return out;
    }
    case fb::Command::Respond:
      LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::merchant}));
      return DecideRespond(cmd, c, ctx);
    case fb::Command::Reply: {
      LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::consumer}));
      if (c.status != S::awaiting_response && c.status != S::awaiting_consumer &&
          c.status != S::negotiation_closed) {
        return Refuse(c, name, "replies belong to the negotiation");
      }
      fb::ConsumerRepliedT e;
      e.case_id = c.case_id;
      e.message = Str(cmd.command_as_Reply()->message());
      // The merchant's clock restarts unless it already owes an answer.
      e.response_due_at_ms = c.status == S::awaiting_response ? c.deadline_ms
                                                              : ctx.now + ctx.policy.response_windows[0];
      out.push_back(Ev(std::move(e)));
      return out;
    }
    case fb::Command::Accept: {
      LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::consumer}));
      if (c.status != S::awaiting_consumer && c.status != S::negotiation_closed) {
        return Refuse(c, name, "the consumer accepts an answer the merchant has given");
      }
      fb::ConsumerAcceptedT a;
      a.case_id = c.case_id;
      out.push_back(Ev(std::move(a)));
      fb::CaseClosedT closed;
      closed.case_id = c.case_id;
      closed.reason = fb::CloseReason::agreement;
      out.push_back(Ev(std::move(closed)));
      return out;
    }
    case fb::Command::DeclareSufficient: {
      LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::merchant}));
      if (c.status != S::awaiting_consumer) {
        return Refuse(c, name, "the merchant declares negotiation sufficient after answering");
      }
      fb::NegotiationDeclaredSufficientT e;
      e.case_id = c.case_id;
      out.push_back(Ev(std::move(e)));
      return out;
    }
    case fb::Command::Escalate:
      LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::consumer, R::merchant}));
      return DecideEscalate(cmd, c, ctx);
    case fb::Command::FileDefence: {
      LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::merchant}));
      if (c.status != S::in_arbitration) return Refuse(c, name, "a defence is filed in arbitration, within its window");
      fb::DefenceFiledT e;
      e.case_id = c.case_id;
      e.statement = Str(cmd.command_as_FileDefence()->statement());
      out.push_back(Ev(std::move(e)));
      return out;
    }
    case fb::Command::IssueVerdict:
      LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::authority}));
      return DecideVerdict(cmd, c, ctx);
    case fb::Command::CarryOutRemedy: {
      LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::consumer, R::authority}));
      if (c.status != S::remedy_due) return Refuse(c, name, "no remedy is due");
      fb::RemedyCarriedOutT e;
      e.case_id = c.case_id;
      e.late = c.unresolved;
      out.push_back(Ev(std::move(e)));
      fb::CaseClosedT closed;
      closed.case_id = c.case_id;
      closed.reason = fb::CloseReason::remedy_carried_out;
      out.push_back(Ev(std::move(closed)));
      return out;
    }
    case fb::Command::Withdraw: {
      LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::consumer}));
      fb::CaseWithdrawnT e;
      e.case_id = c.case_id;
      e.reason = Str(cmd.command_as_Withdraw()->reason());
      out.push_back(Ev(std::move(e)));
      return out;
    }
    case fb::Command::Rate: {
      LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {R::consumer}));
      const auto* r = cmd.command_as_Rate();
      if (c.status != S::closed) return Refuse(c, name, "the handling is rated once the case is closed");
      if (c.rating != 0) return Refuse(c, name, fmt::format("already rated {}", c.rating));
      if (!r->rating().has_value() || *r->rating() < 1 || *r->rating() > 5) {
        return Status::InvalidArgument("Rate: 'rating' must be 1..5");
      }
      fb::ConsumerRatedT e;
      e.case_id = c.case_id;
      e.rating = *r->rating();
      out.push_back(Ev(std::move(e)));
      return out;
    }
    default:
      return Status::InvalidArgument(fmt::format("{} is not a case command", name));
  }
}

}  // namespace

const char* CommandName(fb::Command type) { return fb::EnumNameCommand(type); }

bool IsPartyTo(fb::Role role, std::string_view id, const CaseState& c) {
  switch (role) {
    case fb::Role::consumer: return id == c.consumer_id;
    case fb::Role::merchant: return id == c.merchant_id;
    case fb::Role::authority: return !c.authority.empty() && id == c.authority;
    default: return false;
  }
}

std::string TrackingCodeFor(std::string_view case_id) {
  // Crockford's base32 (no I, L, O, U): read aloud and typed without confusion.
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  uint8_t h[8];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(case_id.data()), case_id.size(),
                     nullptr, 0);
  uint64_t bits = 0;
  for (uint8_t b : h) bits = (bits << 8) | b;
  std::string code;
  for (int i = 0; i < 10; ++i) {
    if (i == 5) code.push_back('-');
    code.push_back(kAlphabet[bits & 31]);
    bits >>= 5;
  }
  return code;
}

std::string CommandCaseId(const fb::CommandEnvelope& cmd) {
  switch (cmd.command_type()) {
#define LEDGER_CASE(T) \
  case fb::Command::T: return Str(cmd.command_as_##T()->case_id());
    LEDGER_CASE(RecordViolation)
    LEDGER_CASE(FileComplaint)
    LEDGER_CASE(VerifyTransaction)
    LEDGER_CASE(RejectTransaction)
    LEDGER_CASE(Respond)
    LEDGER_CASE(Reply)
    LEDGER_CASE(Accept)
    LEDGER_CASE(DeclareSufficient)
    LEDGER_CASE(Escalate)
    LEDGER_CASE(FileDefence)
    LEDGER_CASE(IssueVerdict)
    LEDGER_CASE(CarryOutRemedy)
    LEDGER_CASE(Withdraw)
    LEDGER_CASE(Rate)
    LEDGER_CASE(ImportCfpbComplaint)
#undef LEDGER_CASE
    default: return {};
  }
}

std::string CommandMerchantId(const fb::CommandEnvelope& cmd) {
  switch (cmd.command_type()) {
#define LEDGER_CASE(T) \
  case fb::Command::T: return Str(cmd.command_as_##T()->merchant_id());
    LEDGER_CASE(RegisterMerchant)
    LEDGER_CASE(ChangeStarLevel)
    LEDGER_CASE(RecordViolation)
    LEDGER_CASE(FileComplaint)
    LEDGER_CASE(SuspendMerchant)
    LEDGER_CASE(ReinstateMerchant)
    LEDGER_CASE(ImportCfpbComplaint)
#undef LEDGER_CASE
    default: return {};
  }
}

namespace {

// One published CFPB complaint: the company registered (first time it is
// named), the complaint as published, sent to the company (routed, with the
// policy's deadlines counted from the date sent), and the status the CFPB
// published. Nothing is recomputed from the source's flags.
Result<std::vector<Draft>> DecideCfpbImport(const fb::CommandEnvelope& cmd, const DecideContext& ctx) {
  const auto* r = cmd.command_as_ImportCfpbComplaint();
  const std::string case_id = Str(r->case_id());
  if (cmd.actor()->role() != fb::Role::operator_) {
    return Status::PermissionDenied("ImportCfpbComplaint: only the operator imports");
  }
  if (ctx.case_state != nullptr) {
    return Status::Conflict(fmt::format("ImportCfpbComplaint: case {} was already imported", case_id));
  }
  if (case_id.empty() || Str(r->merchant_id()).empty() || Str(r->company()).empty()) {
    return Status::InvalidArgument("ImportCfpbComplaint: case_id, merchant_id and company must not be empty");
  }
  auto received = ParseTime(Str(r->date_received()));
  if (!received.ok()) return Status::InvalidArgument("ImportCfpbComplaint: date_received: " + received.status().message());
  TimeMs sent = 0;
  if (!Str(r->date_sent()).empty()) {
    auto t = ParseTime(Str(r->date_sent()));
    if (!t.ok()) return Status::InvalidArgument("ImportCfpbComplaint: date_sent: " + t.status().message());
    sent = *t;
  }
  if (*received > ctx.now) {
    return Status::InvalidArgument(fmt::format("ImportCfpbComplaint: received {} is after now ({})",
                                               FormatDate(*received), FormatTime(ctx.now)));
  }
  std::vector<Draft> out;
  const std::string merchant_id = Str(r->merchant_id());
  if (ctx.merchant == nullptr) {
    fb::MerchantRegisteredT m;  // the source gives no licence date or domain: left empty
    m.merchant_id = merchant_id;
    m.name = Str(r->company());
    out.push_back(Ev(std::move(m), true));
  }
  fb::CfpbComplaintFiledT f;
  f.case_id = case_id;
  f.merchant_id = merchant_id;
  f.company = Str(r->company());
  f.received_at_ms = *received;
  f.sent_at_ms = sent;
  f.product = Str(r->product());
  f.sub_product = Str(r->sub_product());
  f.issue = Str(r->issue());
  f.sub_issue = Str(r->sub_issue());
  f.narrative = Str(r->narrative());
  f.state = Str(r->state());
  f.zip_code = Str(r->zip_code());
  f.tags = Str(r->tags());
  f.consumer_consent = Str(r->consumer_consent());
  f.submitted_via = Str(r->submitted_via());
  f.complaint_id = Str(r->complaint_id());
  f.source_file = Str(r->source_file());
  f.source_line = r->source_line();
  out.push_back(Ev(std::move(f)));
  // Sent to the company: its deadlines run from the date sent (the date
  // received when the source gives none).
  const TimeMs base = sent > 0 ? sent : *received;
  const Route route = ctx.policy.RouteFor(fb::Category::other, "", Str(r->state()));
  fb::ComplaintRoutedT routed;
  routed.case_id = case_id;
  routed.authority = route.authority;
  routed.violation = false;
  routed.response_due_at_ms = base + (ctx.policy.response_windows.empty() ? 0 : ctx.policy.response_windows[0]);
  routed.closure_due_at_ms = ctx.policy.closure_window > 0 ? base + ctx.policy.closure_window : 0;
  out.push_back(Ev(std::move(routed)));
  fb::CfpbStatusPublishedT st;
  st.case_id = case_id;
  st.company_response = Str(r->company_response());
  st.company_public_response = Str(r->company_public_response());
  st.timely_response = Str(r->timely_response());
  st.consumer_disputed = Str(r->consumer_disputed());
  st.closes = !st.company_response.empty() && st.company_response != "In progress";
  out.push_back(Ev(std::move(st)));
  return out;
}

}  // namespace

Result<std::vector<Draft>> Decide(const fb::CommandEnvelope& cmd, const std::string& case_id,
                                  const DecideContext& ctx) {
  switch (cmd.command_type()) {
    case fb::Command::ImportCfpbComplaint:
      return DecideCfpbImport(cmd, ctx);
    case fb::Command::FileComplaint:
      return DecideFile(cmd, case_id, ctx);
    case fb::Command::RegisterMerchant:
    case fb::Command::ChangeStarLevel:
    case fb::Command::RecordViolation:
    case fb::Command::SuspendMerchant:
    case fb::Command::ReinstateMerchant:
      return DecideMerchantCommand(cmd, ctx);
    default:
      if (ctx.case_state == nullptr) {
        return Status::NotFound(fmt::format("{}: case {} does not exist", CommandName(cmd.command_type()), case_id));
      }
      return DecideCase(cmd, *ctx.case_state, ctx);
  }
}

std::vector<Draft> DecideTimer(const Timer& t, const DecideContext& ctx) {
  std::vector<Draft> out;
  const CaseState* c = ctx.case_state;
  const MerchantState* m = ctx.merchant;
  switch (t.kind) {
    case TimerKind::kCaseDeadline: {
      if (c->status == S::awaiting_response) {
        const auto& windows = ctx.policy.response_windows;
        const uint8_t w = c->response_window;
        fb::ResponseDeadlineMissedT e;
        e.case_id = c->case_id;
        e.window = w;
        e.delay_decays_at_ms = t.due + ctx.policy.delay_decay;
        e.next_due_at_ms = w < windows.size() ? t.due + windows[w] : 0;
        const bool last = e.next_due_at_ms == 0;
        out.push_back(Ev(std::move(e)));
        if (last) {
          fb::ComplaintUnansweredT u;
          u.case_id = c->case_id;
          out.push_back(Ev(std::move(u)));
        }
        WarnOrSuspend(*m, ctx.policy, out);
      } else if (c->status == S::in_arbitration) {
        fb::DefenceDeadlineMissedT e;
        e.case_id = c->case_id;
        out.push_back(Ev(std::move(e)));
      } else if (c->status == S::remedy_due && !c->unresolved) {
        fb::RemedyDeadlineMissedT e;
        e.case_id = c->case_id;
        e.fee_payer = c->forum == fb::Forum::arbitration ? fb::Party::merchant : fb::Party::consumer;
        e.fee_amount = c->fee_amount;
        out.push_back(Ev(std::move(e)));
        fb::ComplaintUnresolvedT u;
        u.case_id = c->case_id;
        out.push_back(Ev(std::move(u)));
      }
      break;
    }
    case TimerKind::kClosure:
      if (IsOpen(*c) && !c->unresolved) {
        fb::ComplaintUnresolvedT u;
        u.case_id = c->case_id;
        u.closure_overdue = true;
        out.push_back(Ev(std::move(u)));
      }
      break;
    case TimerKind::kUnansweredDecay: {
      fb::UnansweredDecayedT e;
      e.case_id = c->case_id;
      out.push_back(Ev(std::move(e)));
      break;
    }
    case TimerKind::kDelayDecay: {
      fb::DelayDecayedT e;
      e.merchant_id = m->merchant_id;
      e.case_id = t.case_id;
      e.window = t.window;
      e.warning_lifted = m->status == fb::MerchantStatus::warned &&
                         m->delays_active - 1 < ctx.policy.warning_active_delays;
      out.push_back(Ev(std::move(e), true));
      break;
    }
    case TimerKind::kReinstatement: {
      fb::MerchantReinstatedT e;
      e.merchant_id = m->merchant_id;
      e.reason = "every open complaint answered and the suspension served";
      out.push_back(Ev(std::move(e), true));
      break;
    }
  }
  return out;
}

}  // namespace ledger
