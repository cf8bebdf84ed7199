// The dispatch: which decider a command goes to. The rules themselves live
// in one file per family: decide_filing.cc (filing, verification, routing),
// decide_case.cc (negotiation to remedy), decide_merchant.cc (the merchant's
// stream), decide_timer.cc (deadlines, decays, reinstatement) and
// decide_cfpb.cc (the CFPB import).
#include "engine/decide.h"

#include <fmt/format.h>

#include "engine/decide_internal.h"

namespace ledger {

namespace decide_internal {

Status Refuse(const CaseState& c, const char* cmd, const std::string& why) {
  return Status::Rejected(fmt::format("case {} is {}: {} is not allowed ({})", c.case_id,
                                      fb::EnumNameCaseStatus(c.status), cmd, why));
}

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

}  // namespace decide_internal

using namespace decide_internal;

namespace {

// A command about an existing case. A case that is over takes nothing but
// its rating.
Decision DecideCase(const fb::CommandEnvelope& cmd, const std::string& case_id,
                    const DecideContext& ctx) {
  const fb::Command type = cmd.command_type();
  if (ctx.case_state == nullptr) {
    return Status::NotFound(fmt::format("{}: case {} does not exist", CommandName(type), case_id));
  }
  const CaseState& c = *ctx.case_state;
  if (IsTerminal(c.status) && type != fb::Command::Rate) {
    return Refuse(c, CommandName(type), "the case is over");
  }
  switch (type) {
    case fb::Command::VerifyTransaction:
      return DecideVerifyTransaction(cmd, c, ctx);
    case fb::Command::RejectTransaction:
      return DecideRejectTransaction(cmd, c);
    case fb::Command::Respond:
      return DecideRespond(cmd, c, ctx);
    case fb::Command::Reply:
      return DecideReply(cmd, c, ctx);
    case fb::Command::Accept:
      return DecideAccept(cmd, c);
    case fb::Command::DeclareSufficient:
      return DecideDeclareSufficient(cmd, c);
    case fb::Command::Escalate:
      return DecideEscalate(cmd, c, ctx);
    case fb::Command::FileDefence:
      return DecideFileDefence(cmd, c);
    case fb::Command::IssueVerdict:
      return DecideVerdict(cmd, c, ctx);
    case fb::Command::CarryOutRemedy:
      return DecideCarryOutRemedy(cmd, c);
    case fb::Command::Withdraw:
      return DecideWithdraw(cmd, c);
    case fb::Command::Rate:
      return DecideRate(cmd, c);
    default:
      return Status::InvalidArgument(fmt::format("{} is not a case command", CommandName(type)));
  }
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
      return DecideRegisterMerchant(cmd, ctx);
    case fb::Command::ChangeStarLevel:
      return DecideChangeStarLevel(cmd, ctx);
    case fb::Command::RecordViolation:
      return DecideRecordViolation(cmd, ctx);
    case fb::Command::SuspendMerchant:
      return DecideSuspendMerchant(cmd, ctx);
    case fb::Command::ReinstateMerchant:
      return DecideReinstateMerchant(cmd, ctx);
    default:
      return DecideCase(cmd, case_id, ctx);
  }
}

const char* CommandName(fb::Command type) { return fb::EnumNameCommand(type); }

bool IsPartyTo(fb::Role role, std::string_view id, const CaseState& c) {
  switch (role) {
    case fb::Role::consumer:
      return id == c.consumer_id;
    case fb::Role::merchant:
      return id == c.merchant_id;
    case fb::Role::authority:
      return !c.authority.empty() && id == c.authority;
    default:
      return false;
  }
}

std::string CommandCaseId(const fb::CommandEnvelope& cmd) {
  switch (cmd.command_type()) {
#define LEDGER_CASE(T) \
  case fb::Command::T: \
    return Str(cmd.command_as_##T()->case_id());
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
    default:
      return {};
  }
}

std::string CommandMerchantId(const fb::CommandEnvelope& cmd) {
  switch (cmd.command_type()) {
#define LEDGER_CASE(T) \
  case fb::Command::T: \
    return Str(cmd.command_as_##T()->merchant_id());
    LEDGER_CASE(RegisterMerchant)
    LEDGER_CASE(ChangeStarLevel)
    LEDGER_CASE(RecordViolation)
    LEDGER_CASE(FileComplaint)
    LEDGER_CASE(SuspendMerchant)
    LEDGER_CASE(ReinstateMerchant)
    LEDGER_CASE(ImportCfpbComplaint)
#undef LEDGER_CASE
    default:
      return {};
  }
}

}  // namespace ledger
