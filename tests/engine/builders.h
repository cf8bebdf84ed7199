// Commands, events and states for tests of the pure engine: no ledger, no
// log, no RocksDB. A command is packed from the FlatBuffers object API into
// the envelope the service hands the decider; a decision's drafts become
// events the way the service writes them, and fold into hand-made states the
// way the projector folds them.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <flatbuffers/flatbuffers.h>
#include <catch2/catch.hpp>

#include "commands_generated.h"
#include "common/time.h"
#include "engine/decide.h"
#include "engine/event_subject.h"
#include "engine/policy.h"
#include "engine/state.h"
#include "events_generated.h"

namespace ledger::test {

constexpr TimeMs H = kHourMs;
constexpr int64_t kAmount = 500000;

// The time every test starts at.
inline TimeMs Start() { return ParseTime("2026-03-01T08:00:00Z").value(); }

inline const Policy& Enamad() {
  static const Policy p = ParsePolicy(*BuiltinPolicyText("enamad")).value();
  return p;
}

// A command envelope from `role` `actor_id` carrying `body` (an fb::...T).
class Command {
 public:
  template <typename T>
  Command(fb::Role role, const std::string& actor_id, T body) {
    fb::CommandEnvelopeT e;
    e.id = "cmd-1";
    e.actor = std::make_unique<fb::ActorT>();
    e.actor->role = role;
    e.actor->id = actor_id;
    e.command.Set(std::move(body));
    fb::FinishCommandEnvelopeBuffer(fbb_, fb::CommandEnvelope::Pack(fbb_, &e));
    flatbuffers::Verifier v(fbb_.GetBufferPointer(), fbb_.GetSize());
    REQUIRE(fb::VerifyCommandEnvelopeBuffer(v));  // every required field present
  }
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;

  const fb::CommandEnvelope& operator*() const {
    return *fb::GetCommandEnvelope(fbb_.GetBufferPointer());
  }

 private:
  flatbuffers::FlatBufferBuilder fbb_;
};

// One draft as the service writes it: on the case's or the merchant's
// stream, occurring at `at`.
class Event {
 public:
  Event(const Draft& d, const std::string& case_id, const std::string& merchant_id, TimeMs at) {
    fb::EventT e;
    e.event_id = "ev";
    e.partition_key = merchant_id;
    e.stream_id = d.merchant_stream ? MerchantStream(merchant_id) : CaseStream(case_id);
    e.occurred_at_ms = at;
    e.payload = d.payload;
    fb::FinishEventBuffer(fbb_, fb::Event::Pack(fbb_, &e));
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  const fb::Event& operator*() const { return *fb::GetEvent(fbb_.GetBufferPointer()); }

 private:
  flatbuffers::FlatBufferBuilder fbb_;
};

// Folds `drafts` into the case and its merchant as the projector does: an
// event about the case moves the case, and the merchant sees the case before
// and after it.
inline void Fold(CaseState& c, MerchantState& m, const std::vector<Draft>& drafts, TimeMs at) {
  for (const Draft& d : drafts) {
    Event e(d, c.case_id, m.merchant_id, at);
    const std::string_view about = CaseIdOf(*e);
    const bool files = (*e).payload_type() == fb::Payload::ComplaintFiled;
    if (!about.empty() && (about == c.case_id || (files && c.case_id.empty()))) {
      const CaseState before(c);
      EvolveCase(c, *e);
      EvolveMerchant(m, *e, &before, &c);
    } else {
      EvolveMerchant(m, *e, nullptr, nullptr);
    }
  }
}

// The payload types of `drafts`, in order ("ComplaintFiled", ...).
inline std::vector<std::string> PayloadTypes(const std::vector<Draft>& drafts) {
  std::vector<std::string> out;
  for (const Draft& d : drafts) out.emplace_back(fb::EnumNamePayload(d.payload.type));
  return out;
}

// Decides `cmd` with the enamad policy at `now` against the given states.
inline Result<std::vector<Draft>> DecideAt(const Command& cmd, TimeMs now, const CaseState* c,
                                           const MerchantState* m,
                                           const std::string& case_id = "c1") {
  DecideContext ctx(Enamad(), now);
  ctx.case_state = c;
  ctx.merchant = m;
  return Decide(*cmd, case_id, ctx);
}

inline MerchantState ActiveMerchant(const std::string& id = "m1") {
  MerchantState m;
  m.merchant_id = id;
  m.name = "Shop " + id;
  m.domains = {id + ".example"};
  m.region = "tehran";
  m.status = fb::MerchantStatus::active;
  return m;
}

// A case against merchant m1 by consumer u-1 whose merchant owes an answer:
// window `window` of the ladder is open and ends at `deadline`.
inline CaseState AwaitingResponse(uint8_t window, TimeMs deadline) {
  CaseState c;
  c.case_id = "c1";
  c.merchant_id = "m1";
  c.consumer_id = "u-1";
  c.status = fb::CaseStatus::awaiting_response;
  c.category = fb::Category::non_delivery;
  c.authority = "online_business_union";
  c.filed_at_ms = c.accepted_at_ms = Start();
  c.transaction = std::make_unique<fb::TransactionT>();
  c.transaction->amount = kAmount;
  c.response_window = window;
  c.deadline_ms = deadline;
  c.first_deadline_ms = Start() + 72 * H;
  return c;
}

// The same case after the merchant answered: the consumer's turn.
inline CaseState AwaitingConsumer() {
  CaseState c = AwaitingResponse(0, 0);
  c.status = fb::CaseStatus::awaiting_consumer;
  c.first_deadline_ms = 0;
  c.responded = true;
  return c;
}

// A filing by consumer u-1 against m1 of a card purchase of kAmount.
inline fb::FileComplaintT Filing(const std::string& merchant = "m1") {
  fb::FileComplaintT f;
  f.merchant_id = merchant;
  f.consumer_id = "u-1";
  f.reference_number = "R1";
  f.terminal = "T-9";
  f.purchase_date = "2026-02-20";
  f.amount = kAmount;
  f.invoice_number = "INV-R1";
  f.category = fb::Category::non_delivery;
  return f;
}

template <typename T>
T CaseCommand(const std::string& case_id = "c1") {
  T t;
  t.case_id = case_id;
  return t;
}

}  // namespace ledger::test
