// Layer engine/: the pure rules: the deciders (decide*.cc), the folds
// (EvolveCase, EvolveMerchant), the timers a state implies, the Policy, the
// access rules and the sealing of personal data. It includes only common/
// and the generated schemas; it must never do I/O (files, RocksDB, Kafka,
// HTTP), start a thread or read a clock: time and the looked-up states are
// inputs.
//
// The decider: given the current state, a command (or a timer that fell
// due), the policy and the time, the events that follow, or a refusal that
// names the case, its state and the command. Pure: no I/O, no clock.
#pragma once

#include <string>
#include <vector>

#include "commands_generated.h"
#include "common/status.h"
#include "engine/policy.h"
#include "engine/state.h"

namespace ledger {

// One event to be written, before the envelope is filled in.
struct Draft {
  bool merchant_stream = false;  // else the case's stream
  fb::PayloadUnion payload;
};

// What the service looked up for the decider.
struct DecideContext {
  DecideContext(const Policy& p, TimeMs n) : policy(p), now(n) {}
  const Policy& policy;
  TimeMs now = 0;
  const CaseState* case_state = nullptr;    // the case named by the command, if any
  const MerchantState* merchant = nullptr;  // its merchant (or the one named)
  bool transaction_taken = false;           // FileComplaint: same transaction on file
  std::string taken_by;                     //   ... by this case
};

// REQUIRES: cmd.command_type() != NONE. For a FileComplaint, `case_id` is the
// id the new case gets.
Result<std::vector<Draft>> Decide(const fb::CommandEnvelope& cmd, const std::string& case_id,
                                  const DecideContext& ctx);

// The events a due timer produces. Empty when the state no longer implies it.
std::vector<Draft> DecideTimer(const Timer& timer, const DecideContext& ctx);

// The name of a command type as users write it ("FileComplaint").
const char* CommandName(fb::Command type);
// The case or merchant a command is about.
std::string CommandCaseId(const fb::CommandEnvelope& cmd);
std::string CommandMerchantId(const fb::CommandEnvelope& cmd);

// Whether an actor of `role` with `id` is a party to the case: its consumer,
// its merchant, or the authority it was routed to. The operator is a party to
// no case (it acts on all of them by its role).
bool IsPartyTo(fb::Role role, std::string_view id, const CaseState& c);

// The public tracking code of a complaint: 10 characters of Crockford base32
// (50 bits of BLAKE2b of the case id) as "XXXXX-XXXXX". Printed on the
// consumer's receipt and its QR code; looked up through the "trk/" index.
std::string TrackingCodeFor(std::string_view case_id);

}  // namespace ledger
