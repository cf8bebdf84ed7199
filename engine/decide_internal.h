// The decider's inside, shared by engine/decide*.cc and by no one else: the
// helpers every family of commands uses, and one function per command that
// the dispatch in engine/decide.cc calls. Not part of the public API
// (engine/decide.h is). Pure like the rest: no I/O, no clock.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "commands_generated.h"
#include "common/status.h"
#include "engine/decide.h"
#include "engine/state.h"

namespace ledger::decide_internal {

using S = fb::CaseStatus;
// The events a command produces, or the refusal.
using Decision = Result<std::vector<Draft>>;

// One draft of `payload`, on the merchant's stream or else the case's.
template <typename T>
Draft Ev(T&& payload, bool merchant_stream = false) {
  Draft d;
  d.merchant_stream = merchant_stream;
  d.payload.Set(std::forward<T>(payload));
  return d;
}

// A decision of one event.
inline Decision One(Draft d) {
  std::vector<Draft> out;
  out.push_back(std::move(d));
  return out;
}

inline std::string Str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

// "case <id> is <status>: <cmd> is not allowed (<why>)".
Status Refuse(const CaseState& c, const char* cmd, const std::string& why);

// Who may act: the operator always; a party only on its own case.
Status Authorize(const fb::CommandEnvelope& cmd, const CaseState& c,
                 std::initializer_list<fb::Role> roles);

// Filing and acceptance (engine/decide_filing.cc).
Decision DecideFile(const fb::CommandEnvelope& cmd, const std::string& case_id,
                    const DecideContext& ctx);
Decision DecideVerifyTransaction(const fb::CommandEnvelope& cmd, const CaseState& c,
                                 const DecideContext& ctx);
Decision DecideRejectTransaction(const fb::CommandEnvelope& cmd, const CaseState& c);

// The case after acceptance: negotiation, escalation, verdict, remedy
// (engine/decide_case.cc). Each authorizes its actor first.
Decision DecideRespond(const fb::CommandEnvelope& cmd, const CaseState& c,
                       const DecideContext& ctx);
Decision DecideReply(const fb::CommandEnvelope& cmd, const CaseState& c, const DecideContext& ctx);
Decision DecideAccept(const fb::CommandEnvelope& cmd, const CaseState& c);
Decision DecideDeclareSufficient(const fb::CommandEnvelope& cmd, const CaseState& c);
Decision DecideEscalate(const fb::CommandEnvelope& cmd, const CaseState& c,
                        const DecideContext& ctx);
Decision DecideFileDefence(const fb::CommandEnvelope& cmd, const CaseState& c);
Decision DecideVerdict(const fb::CommandEnvelope& cmd, const CaseState& c,
                       const DecideContext& ctx);
Decision DecideCarryOutRemedy(const fb::CommandEnvelope& cmd, const CaseState& c);
Decision DecideWithdraw(const fb::CommandEnvelope& cmd, const CaseState& c);
Decision DecideRate(const fb::CommandEnvelope& cmd, const CaseState& c);

// The merchant's own stream (engine/decide_merchant.cc).
Decision DecideRegisterMerchant(const fb::CommandEnvelope& cmd, const DecideContext& ctx);
Decision DecideChangeStarLevel(const fb::CommandEnvelope& cmd, const DecideContext& ctx);
Decision DecideRecordViolation(const fb::CommandEnvelope& cmd, const DecideContext& ctx);
Decision DecideSuspendMerchant(const fb::CommandEnvelope& cmd, const DecideContext& ctx);
Decision DecideReinstateMerchant(const fb::CommandEnvelope& cmd, const DecideContext& ctx);

// The CFPB's published complaints (engine/decide_cfpb.cc).
Decision DecideCfpbImport(const fb::CommandEnvelope& cmd, const DecideContext& ctx);

}  // namespace ledger::decide_internal
