// The rules of time, on DecideTimer alone: a timer falls due against a
// hand-made state, and its events fold into that state.
#include <catch2/catch.hpp>

#include "tests/engine/builders.h"

using namespace ledger;
using namespace ledger::test;
using Types = std::vector<std::string>;

namespace {

const TimeMs kFirstDeadline = Start() + 72 * H;

Timer CaseDeadline(TimeMs due) { return {due, TimerKind::kCaseDeadline, "m1", "c1", 0}; }

std::vector<Draft> Fire(const Timer& t, const CaseState* c, const MerchantState* m) {
  DecideContext ctx(Enamad(), t.due);
  ctx.case_state = c;
  ctx.merchant = m;
  return DecideTimer(t, ctx);
}

}  // namespace

TEST_CASE("a merchant that misses the first window gets a delay and the 48 h window",
          "[engine][timer]") {
  auto m = ActiveMerchant();
  auto c = AwaitingResponse(1, kFirstDeadline);
  const auto out = Fire(CaseDeadline(kFirstDeadline), &c, &m);
  REQUIRE(PayloadTypes(out) == Types{"ResponseDeadlineMissed"});
  const auto* missed = out[0].payload.AsResponseDeadlineMissed();
  CHECK(missed->window == 1);
  CHECK(missed->next_due_at_ms == kFirstDeadline + 48 * H);
  CHECK(missed->delay_decays_at_ms == kFirstDeadline + 90 * kDayMs);

  Fold(c, m, out, kFirstDeadline);
  CHECK(c.delays == 1);
  CHECK(c.response_window == 2);
  CHECK(c.deadline_ms == kFirstDeadline + 48 * H);
  CHECK(m.delays_active == 1);
  CHECK(m.status == fb::MerchantStatus::active);
}

TEST_CASE("a merchant that misses the last window gets a delay and an unanswered mark",
          "[engine][timer]") {
  auto m = ActiveMerchant();
  const TimeMs last = kFirstDeadline + 72 * H;  // 72 + 48 + 24 h
  auto c = AwaitingResponse(3, last);
  const auto out = Fire(CaseDeadline(last), &c, &m);
  REQUIRE(PayloadTypes(out) == Types{"ResponseDeadlineMissed", "ComplaintUnanswered"});
  CHECK(out[0].payload.AsResponseDeadlineMissed()->next_due_at_ms == 0);

  Fold(c, m, out, last);
  CHECK(c.unanswered);
  CHECK(c.deadline_ms == 0);
  CHECK(c.status == fb::CaseStatus::awaiting_response);  // it may still answer
  CHECK(m.unanswered == 1);
  CHECK(m.first_unanswered_case == "c1");
}

TEST_CASE("a merchant's third active delay brings a suspension warning", "[engine][timer]") {
  auto m = ActiveMerchant();
  m.delays_active = 2;
  auto c = AwaitingResponse(1, kFirstDeadline);
  const auto out = Fire(CaseDeadline(kFirstDeadline), &c, &m);
  REQUIRE(PayloadTypes(out) == Types{"ResponseDeadlineMissed", "SuspensionWarning"});
  CHECK(out[1].merchant_stream);
  CHECK(out[1].payload.AsSuspensionWarning()->active_delays == 3);
  Fold(c, m, out, kFirstDeadline);
  CHECK(m.status == fb::MerchantStatus::warned);
}

TEST_CASE("a merchant's fifth active delay suspends it", "[engine][timer]") {
  auto m = ActiveMerchant();
  m.status = fb::MerchantStatus::warned;
  m.delays_active = 4;
  auto c = AwaitingResponse(1, kFirstDeadline);
  const auto out = Fire(CaseDeadline(kFirstDeadline), &c, &m);
  REQUIRE(PayloadTypes(out) == Types{"ResponseDeadlineMissed", "MerchantSuspended"});
  CHECK(out[1].payload.AsMerchantSuspended()->active_delays == 5);
  Fold(c, m, out, kFirstDeadline);
  CHECK(m.status == fb::MerchantStatus::suspended);
  CHECK(m.suspended_at_ms == kFirstDeadline);
}

TEST_CASE("a deadline that falls due after the merchant answered produces nothing",
          "[engine][timer]") {
  const auto m = ActiveMerchant();
  const auto c = AwaitingConsumer();
  CHECK(Fire(CaseDeadline(kFirstDeadline), &c, &m).empty());
}

TEST_CASE("a decayed delay lifts the warning once fewer than three stay active",
          "[engine][timer]") {
  auto m = ActiveMerchant();
  m.status = fb::MerchantStatus::warned;
  const Timer decay = DelayTimer("m1", "c1", 1, kFirstDeadline + 90 * kDayMs);
  m.delays_active = 4;
  CHECK_FALSE(Fire(decay, nullptr, &m)[0].payload.AsDelayDecayed()->warning_lifted);

  m.delays_active = 3;
  const auto out = Fire(decay, nullptr, &m);
  REQUIRE(PayloadTypes(out) == Types{"DelayDecayed"});
  CHECK(out[0].payload.AsDelayDecayed()->warning_lifted);
  CaseState none;
  Fold(none, m, out, decay.due);
  CHECK(m.delays_active == 2);
  CHECK(m.status == fb::MerchantStatus::active);
}

TEST_CASE(
    "a remedy missed after arbitration moves the fee to the merchant and leaves the complaint "
    "unresolved",
    "[engine][timer]") {
  auto m = ActiveMerchant();
  auto c = AwaitingConsumer();
  c.status = fb::CaseStatus::remedy_due;
  c.forum = fb::Forum::arbitration;
  c.fee_amount = kAmount / 10;
  c.fee_payer = fb::Party::consumer;
  c.deadline_ms = Start() + 168 * H;
  const auto out = Fire(CaseDeadline(c.deadline_ms), &c, &m);
  REQUIRE(PayloadTypes(out) == Types{"RemedyDeadlineMissed", "ComplaintUnresolved"});
  CHECK(out[0].payload.AsRemedyDeadlineMissed()->fee_payer == fb::Party::merchant);
  CHECK(out[0].payload.AsRemedyDeadlineMissed()->fee_amount == kAmount / 10);

  Fold(c, m, out, Start() + 168 * H);
  CHECK(c.unresolved);
  CHECK(c.fee_payer == fb::Party::merchant);
  CHECK(m.unresolved == 1);
}
