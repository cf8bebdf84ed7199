// The folds: EvolveCase and EvolveMerchant over the events the decider
// produced, from an empty case and a registered merchant.
#include <catch2/catch.hpp>

#include "tests/engine/builders.h"

using namespace ledger;
using namespace ledger::test;

namespace {

// Decides `cmd` at `now` against the states and folds what it produced.
void Apply(const Command& cmd, TimeMs now, CaseState& c, MerchantState& m) {
  auto r = DecideAt(cmd, now, c.case_id.empty() ? nullptr : &c, &m);
  REQUIRE(r.ok());
  Fold(c, m, *r, now);
}

}  // namespace

TEST_CASE(
    "EvolveCase after ComplaintFiled and TransactionVerified leaves the case awaiting the "
    "merchant's answer",
    "[engine][evolve]") {
  auto m = ActiveMerchant();
  CaseState c;
  Apply(Command(fb::Role::consumer, "u-1", Filing()), Start(), c, m);
  CHECK(c.case_id == "c1");
  CHECK(c.status == fb::CaseStatus::awaiting_verification);
  CHECK(c.accepted_at_ms == 0);

  // Verification records TransactionVerified and the routing that accepts it.
  const TimeMs verified = Start() + 2 * H;
  Apply(Command(fb::Role::operator_, "centre", CaseCommand<fb::VerifyTransactionT>()), verified, c,
        m);
  CHECK(c.status == fb::CaseStatus::awaiting_response);
  CHECK(Owes(c));
  CHECK(c.authority == "online_business_union");
  CHECK(c.accepted_at_ms == verified);
  CHECK(c.response_window == 1);
  CHECK(c.deadline_ms == verified + 72 * H);
  CHECK(c.first_deadline_ms == verified + 72 * H);
  REQUIRE(TimersOf(c).size() == 1);
  CHECK(TimersOf(c)[0].due == verified + 72 * H);
}

TEST_CASE(
    "EvolveMerchant counts an accepted complaint as open and owing until the merchant answers",
    "[engine][evolve]") {
  auto m = ActiveMerchant();
  CaseState c;
  Apply(Command(fb::Role::consumer, "u-1", Filing()), Start(), c, m);
  CHECK(m.complaints == 0);  // filed, not yet accepted
  CHECK(m.open_cases == 0);

  Apply(Command(fb::Role::operator_, "centre", CaseCommand<fb::VerifyTransactionT>()), Start() + H,
        c, m);
  CHECK(m.complaints == 1);
  CHECK(m.open_cases == 1);
  CHECK(m.owing == 1);

  auto answer = CaseCommand<fb::RespondT>();
  answer.message = "refunded";
  Apply(Command(fb::Role::merchant, "m1", std::move(answer)), Start() + 5 * H, c, m);
  CHECK(c.status == fb::CaseStatus::awaiting_consumer);
  CHECK(m.owing == 0);
  CHECK(m.open_cases == 1);
  CHECK(m.delays_active == 0);
}

TEST_CASE("a consumer's acceptance closes the case by agreement and counts it resolved",
          "[engine][evolve]") {
  auto m = ActiveMerchant();
  CaseState c;
  Apply(Command(fb::Role::consumer, "u-1", Filing()), Start(), c, m);
  Apply(Command(fb::Role::operator_, "centre", CaseCommand<fb::VerifyTransactionT>()), Start() + H,
        c, m);
  auto answer = CaseCommand<fb::RespondT>();
  answer.message = "refunded";
  Apply(Command(fb::Role::merchant, "m1", std::move(answer)), Start() + 5 * H, c, m);
  Apply(Command(fb::Role::consumer, "u-1", CaseCommand<fb::AcceptT>()), Start() + 6 * H, c, m);
  CHECK(c.status == fb::CaseStatus::closed);
  CHECK(c.close_reason == fb::CloseReason::agreement);
  CHECK(c.closed_at_ms == Start() + 6 * H);
  CHECK(m.open_cases == 0);
  CHECK(m.resolved == 1);
}

TEST_CASE("an event id names its command and its place among the command's events",
          "[engine][ids]") {
  CHECK(EventIdFor("consumer:u-1/k7", 0) == "consumer:u-1/k7/0");
  CHECK(EventIdFor("cfpb/0", 12) == "cfpb/0/12");
  CHECK(OpensCommand(EventIdFor("cmd-1", 0)));
  CHECK_FALSE(OpensCommand(EventIdFor("cmd-1", 10)));
  CHECK_FALSE(OpensCommand(EventIdFor("cfpb/0", 1)));
  CHECK_FALSE(OpensCommand("no-slash"));
}
