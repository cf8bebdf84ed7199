// The merchant's own stream: registration, its star level, violations, and
// suspension or reinstatement by the centre (the timekeeper's are in
// decide_timer.cc).
#include <fmt/format.h>

#include "engine/decide_internal.h"

namespace ledger::decide_internal {

namespace {

// The operator acts on merchants; an authority too when `authority_too`.
Status AuthorizeMerchantCommand(const fb::CommandEnvelope& cmd, bool authority_too) {
  const auto role = cmd.actor()->role();
  if (role == fb::Role::operator_ || (authority_too && role == fb::Role::authority)) {
    return Status::Ok();
  }
  return Status::PermissionDenied(
      fmt::format("a {} may not {}", RoleName(role), CommandName(cmd.command_type())));
}

Status MustExist(const fb::CommandEnvelope& cmd, const DecideContext& ctx) {
  if (ctx.merchant == nullptr) {
    return Status::NotFound(fmt::format("{}: merchant {} is not registered",
                                        CommandName(cmd.command_type()), CommandMerchantId(cmd)));
  }
  return Status::Ok();
}

}  // namespace

Decision DecideRegisterMerchant(const fb::CommandEnvelope& cmd, const DecideContext& ctx) {
  LEDGER_RETURN_IF_ERROR(AuthorizeMerchantCommand(cmd, false));
  const auto* r = cmd.command_as_RegisterMerchant();
  const std::string merchant_id = CommandMerchantId(cmd);
  if (ctx.merchant != nullptr) {
    return Status::Conflict(
        fmt::format("RegisterMerchant: merchant {} is already registered", merchant_id));
  }
  if (merchant_id.empty() || Str(r->name()).empty()) {
    return Status::InvalidArgument("RegisterMerchant: merchant_id and name must not be empty");
  }
  auto licence = ParseTime(Str(r->licence_date()));
  if (!licence.ok())
    return Status::InvalidArgument("RegisterMerchant: licence_date: " + licence.status().message());
  if (*licence > ctx.now) {
    return Status::InvalidArgument(
        fmt::format("RegisterMerchant: licence_date {} is in the future", Str(r->licence_date())));
  }
  if (r->domains()->size() == 0)
    return Status::InvalidArgument("RegisterMerchant: at least one domain is required");
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
  return One(Ev(std::move(e), true));
}

Decision DecideChangeStarLevel(const fb::CommandEnvelope& cmd, const DecideContext& ctx) {
  LEDGER_RETURN_IF_ERROR(AuthorizeMerchantCommand(cmd, false));
  LEDGER_RETURN_IF_ERROR(MustExist(cmd, ctx));
  const MerchantState& m = *ctx.merchant;
  const std::string merchant_id = CommandMerchantId(cmd);
  const auto* c = cmd.command_as_ChangeStarLevel();
  if (!c->star_level().has_value())
    return Status::InvalidArgument("ChangeStarLevel: 'star_level' is required");
  if (*c->star_level() == m.star_level) {
    return Status::Rejected(fmt::format("ChangeStarLevel: merchant {} already has star level {}",
                                        merchant_id, fb::EnumNameStarLevel(m.star_level)));
  }
  fb::StarLevelChangedT e;
  e.merchant_id = merchant_id;
  e.from = m.star_level;
  e.to = *c->star_level();
  return One(Ev(std::move(e), true));
}

// A violation of level 1..3, optionally revealed by one of the merchant's cases.
Decision DecideRecordViolation(const fb::CommandEnvelope& cmd, const DecideContext& ctx) {
  LEDGER_RETURN_IF_ERROR(AuthorizeMerchantCommand(cmd, true));
  LEDGER_RETURN_IF_ERROR(MustExist(cmd, ctx));
  const auto* v = cmd.command_as_RecordViolation();
  const std::string merchant_id = CommandMerchantId(cmd);
  if (!v->level().has_value() || *v->level() < 1 || *v->level() > 3) {
    return Status::InvalidArgument("RecordViolation: 'level' must be 1, 2 or 3");
  }
  const std::string case_id = Str(v->case_id());
  if (!case_id.empty() &&
      (ctx.case_state == nullptr || ctx.case_state->merchant_id != merchant_id)) {
    return Status::NotFound(fmt::format(
        "RecordViolation: case {} is not a case against merchant {}", case_id, merchant_id));
  }
  fb::ViolationRecordedT e;
  e.merchant_id = merchant_id;
  e.level = *v->level();
  e.rule = Str(v->rule());
  e.case_id = case_id;
  return One(Ev(std::move(e), true));
}

// The operator or an authority suspends; only the operator reinstates.
Decision DecideSuspendMerchant(const fb::CommandEnvelope& cmd, const DecideContext& ctx) {
  LEDGER_RETURN_IF_ERROR(AuthorizeMerchantCommand(cmd, true));
  LEDGER_RETURN_IF_ERROR(MustExist(cmd, ctx));
  const MerchantState& m = *ctx.merchant;
  const std::string merchant_id = CommandMerchantId(cmd);
  if (m.status == fb::MerchantStatus::suspended) {
    return Status::Rejected(
        fmt::format("SuspendMerchant: merchant {} is already suspended", merchant_id));
  }
  fb::MerchantSuspendedT e;
  e.merchant_id = merchant_id;
  e.reason = Str(cmd.command_as_SuspendMerchant()->reason());
  e.active_delays = m.delays_active;
  return One(Ev(std::move(e), true));
}

Decision DecideReinstateMerchant(const fb::CommandEnvelope& cmd, const DecideContext& ctx) {
  LEDGER_RETURN_IF_ERROR(AuthorizeMerchantCommand(cmd, false));
  LEDGER_RETURN_IF_ERROR(MustExist(cmd, ctx));
  const std::string merchant_id = CommandMerchantId(cmd);
  if (ctx.merchant->status != fb::MerchantStatus::suspended) {
    return Status::Rejected(
        fmt::format("ReinstateMerchant: merchant {} is not suspended", merchant_id));
  }
  fb::MerchantReinstatedT e;
  e.merchant_id = merchant_id;
  e.reason = Str(cmd.command_as_ReinstateMerchant()->reason());
  return One(Ev(std::move(e), true));
}

}  // namespace ledger::decide_internal
