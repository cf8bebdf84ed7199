// The rules of the commands, on the decider alone: hand-made states, the
// enamad policy, a fixed time. Each test names the rule it checks.
#include <catch2/catch.hpp>

#include "tests/engine/builders.h"

using namespace ledger;
using namespace ledger::test;
using Catch::Matchers::Contains;
using Types = std::vector<std::string>;

namespace {

CaseState AwaitingVerification(fb::Category category = fb::Category::non_delivery) {
  CaseState c = AwaitingResponse(0, 0);
  c.status = fb::CaseStatus::awaiting_verification;
  c.category = category;
  c.authority.clear();
  c.accepted_at_ms = 0;
  c.first_deadline_ms = 0;
  return c;
}

fb::EscalateT Arbitration(double percent) {
  auto e = CaseCommand<fb::EscalateT>();
  e.forum = fb::Forum::arbitration;
  e.fee_rate_percent = percent;
  return e;
}

fb::RespondT Answer(const std::string& case_id = "c1") {
  auto r = CaseCommand<fb::RespondT>(case_id);
  r.message = "sorry, on its way";
  return r;
}

}  // namespace

// --- filing -------------------------------------------------------------------

TEST_CASE("a consumer may not file a complaint for another consumer", "[engine][filing]") {
  const auto m = ActiveMerchant();
  Command cmd(fb::Role::consumer, "u-2", Filing());
  auto r = DecideAt(cmd, Start(), nullptr, &m);
  CHECK(r.status().code() == Code::kPermissionDenied);
  CHECK_THAT(r.status().message(), Contains("consumer u-2 may not file for consumer u-1"));
}

TEST_CASE("a cash purchase cannot be filed", "[engine][filing]") {
  const auto m = ActiveMerchant();
  auto f = Filing();
  f.payment_method = fb::PaymentMethod::cash;
  Command cmd(fb::Role::consumer, "u-1", std::move(f));
  auto r = DecideAt(cmd, Start(), nullptr, &m);
  CHECK(r.status().code() == Code::kRejected);
  CHECK_THAT(r.status().message(), Contains("cash purchases cannot be filed"));
}

TEST_CASE("a complaint against a suspended merchant is refused", "[engine][filing]") {
  auto m = ActiveMerchant();
  m.status = fb::MerchantStatus::suspended;
  Command cmd(fb::Role::consumer, "u-1", Filing());
  auto r = DecideAt(cmd, Start(), nullptr, &m);
  CHECK(r.status().code() == Code::kRejected);
  CHECK_THAT(r.status().message(), Contains("merchant m1 is suspended"));
}

TEST_CASE("a second complaint on the same transaction is a conflict naming the first case",
          "[engine][filing]") {
  const auto m = ActiveMerchant();
  Command cmd(fb::Role::consumer, "u-1", Filing());
  DecideContext ctx(Enamad(), Start());
  ctx.merchant = &m;
  ctx.transaction_taken = true;
  ctx.taken_by = "c0";
  auto r = Decide(*cmd, "c1", ctx);
  CHECK(r.status().code() == Code::kConflict);
  CHECK_THAT(r.status().message(),
             Contains("transaction R1") && Contains("already has complaint c0"));
}

TEST_CASE("a filed complaint carries its tracking code and, naming no region, the merchant's",
          "[engine][filing]") {
  const auto m = ActiveMerchant();
  Command cmd(fb::Role::consumer, "u-1", Filing());
  auto r = DecideAt(cmd, Start(), nullptr, &m);
  REQUIRE(r.ok());
  REQUIRE(PayloadTypes(*r) == Types{"ComplaintFiled"});
  const auto* f = r->at(0).payload.AsComplaintFiled();
  CHECK(f->tracking_code == TrackingCodeFor("c1"));
  CHECK(f->tracking_code.size() == 11);
  CHECK(f->tracking_code[5] == '-');
  CHECK(f->region == "tehran");
  CHECK(f->transaction->purchase_date_ms == ParseTime("2026-02-20").value());
  CHECK_FALSE(r->at(0).merchant_stream);
}

TEST_CASE("a purchase dated in the future cannot be filed", "[engine][filing]") {
  const auto m = ActiveMerchant();
  auto f = Filing();
  f.purchase_date = "2026-03-02";
  Command cmd(fb::Role::consumer, "u-1", std::move(f));
  auto r = DecideAt(cmd, Start(), nullptr, &m);
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK_THAT(r.status().message(), Contains("purchase_date 2026-03-02 is in the future"));
}

// --- verification and routing --------------------------------------------------

TEST_CASE("a consumer may not verify a transaction", "[engine][filing][access]") {
  const auto m = ActiveMerchant();
  const auto c = AwaitingVerification();
  Command cmd(fb::Role::consumer, "u-1", CaseCommand<fb::VerifyTransactionT>());
  auto r = DecideAt(cmd, Start(), &c, &m);
  CHECK(r.status().code() == Code::kPermissionDenied);
  CHECK(r.status().message() == "a consumer may not VerifyTransaction (case c1)");
}

TEST_CASE(
    "verifying a counterfeit complaint routes it to the police as a violation with the 72 h window",
    "[engine][filing]") {
  const auto m = ActiveMerchant();
  const auto c = AwaitingVerification(fb::Category::counterfeit);
  Command cmd(fb::Role::operator_, "centre", CaseCommand<fb::VerifyTransactionT>());
  auto r = DecideAt(cmd, Start(), &c, &m);
  REQUIRE(r.ok());
  REQUIRE(PayloadTypes(*r) == Types{"TransactionVerified", "ComplaintRouted"});
  const auto* routed = r->at(1).payload.AsComplaintRouted();
  CHECK(routed->authority == "police");
  CHECK(routed->violation);
  CHECK(routed->response_due_at_ms == Start() + 72 * H);
  CHECK(routed->closure_due_at_ms == 0);  // enamad sets no closure window
}

TEST_CASE("a transaction is verified only once", "[engine][filing]") {
  const auto m = ActiveMerchant();
  const auto c = AwaitingResponse(1, Start() + 72 * H);
  Command cmd(fb::Role::operator_, "centre", CaseCommand<fb::VerifyTransactionT>());
  auto r = DecideAt(cmd, Start(), &c, &m);
  CHECK(r.status().code() == Code::kRejected);
  CHECK(r.status().message() ==
        "case c1 is awaiting_response: VerifyTransaction is not allowed (the transaction was "
        "already verified)");
}

// --- the case ------------------------------------------------------------------

TEST_CASE("an unknown case is refused naming it", "[engine][case]") {
  const auto m = ActiveMerchant();
  Command cmd(fb::Role::merchant, "m1", Answer("c404"));
  auto r = DecideAt(cmd, Start(), nullptr, &m, "c404");
  CHECK(r.status().code() == Code::kNotFound);
  CHECK(r.status().message() == "Respond: case c404 does not exist");
}

TEST_CASE("a case that is over refuses every command but a rating", "[engine][case]") {
  const auto m = ActiveMerchant();
  CaseState c = AwaitingConsumer();
  c.status = fb::CaseStatus::closed;
  Command withdraw(fb::Role::consumer, "u-1", CaseCommand<fb::WithdrawT>());
  auto w = DecideAt(withdraw, Start(), &c, &m);
  CHECK(w.status().code() == Code::kRejected);
  CHECK_THAT(w.status().message(), Contains("case c1 is closed") && Contains("the case is over"));

  auto rate = CaseCommand<fb::RateT>();
  rate.rating = 4;
  Command rate_cmd(fb::Role::consumer, "u-1", std::move(rate));
  auto r = DecideAt(rate_cmd, Start(), &c, &m);
  REQUIRE(r.ok());
  REQUIRE(PayloadTypes(*r) == Types{"ConsumerRated"});
  CHECK(r->at(0).payload.AsConsumerRated()->rating == 4);
}

TEST_CASE("a merchant may not answer another merchant's case", "[engine][case][access]") {
  const auto m = ActiveMerchant();
  const auto c = AwaitingResponse(1, Start() + 72 * H);
  Command cmd(fb::Role::merchant, "m2", Answer());
  auto r = DecideAt(cmd, Start(), &c, &m);
  CHECK(r.status().code() == Code::kPermissionDenied);
  CHECK(r.status().message() == "merchant m2 may not Respond on case c1: not its case");
}

TEST_CASE("an answer after the first deadline records how late it is", "[engine][case]") {
  const auto m = ActiveMerchant();
  const auto c = AwaitingResponse(2, Start() + 120 * H);  // first window ended at +72 h
  Command cmd(fb::Role::merchant, "m1", Answer());
  auto r = DecideAt(cmd, Start() + 80 * H, &c, &m);
  REQUIRE(r.ok());
  REQUIRE(PayloadTypes(*r) == Types{"MerchantResponded"});
  CHECK(r->at(0).payload.AsMerchantResponded()->late_by_ms == 8 * H);
}

TEST_CASE("a consumer's reply restarts the 72 h ladder only when the merchant owes no answer",
          "[engine][case]") {
  const auto m = ActiveMerchant();
  auto reply = [] {
    auto r = CaseCommand<fb::ReplyT>();
    r.message = "that is not enough";
    return r;
  };
  const TimeMs now = Start() + 10 * H;
  const auto answered = AwaitingConsumer();
  Command after_answer(fb::Role::consumer, "u-1", reply());
  auto a = DecideAt(after_answer, now, &answered, &m);
  REQUIRE(a.ok());
  CHECK(a->at(0).payload.AsConsumerReplied()->response_due_at_ms == now + 72 * H);

  const auto owing = AwaitingResponse(2, Start() + 120 * H);
  Command while_owing(fb::Role::consumer, "u-1", reply());
  auto o = DecideAt(while_owing, now, &owing, &m);
  REQUIRE(o.ok());
  CHECK(o->at(0).payload.AsConsumerReplied()->response_due_at_ms == Start() + 120 * H);
}

TEST_CASE("arbitration outside the policy's 2 to 20 % fee is refused", "[engine][case]") {
  const auto m = ActiveMerchant();
  const auto c = AwaitingConsumer();
  for (double pct : {1.5, 25.0}) {
    INFO(pct);
    Command cmd(fb::Role::consumer, "u-1", Arbitration(pct));
    auto r = DecideAt(cmd, Start(), &c, &m);
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK_THAT(r.status().message(), Contains("outside the policy's 2..20 %"));
  }
}

TEST_CASE(
    "arbitration at 10 % charges a tenth of the amount and gives the merchant 72 h for its defence",
    "[engine][case]") {
  const auto m = ActiveMerchant();
  const auto c = AwaitingConsumer();
  Command cmd(fb::Role::consumer, "u-1", Arbitration(10));
  auto r = DecideAt(cmd, Start(), &c, &m);
  REQUIRE(r.ok());
  REQUIRE(PayloadTypes(*r) == Types{"EscalatedToArbitration"});
  const auto* e = r->at(0).payload.AsEscalatedToArbitration();
  CHECK(e->by == fb::Party::consumer);
  CHECK(e->fee_rate_bp == 1000);
  CHECK(e->fee_amount == kAmount / 10);
  CHECK(e->authority == "arbitration_board");
  CHECK(e->defence_due_at_ms == Start() + 72 * H);
}

TEST_CASE("the merchant may not escalate before it has answered", "[engine][case]") {
  const auto m = ActiveMerchant();
  auto c = AwaitingResponse(3, Start() + 144 * H);
  c.unanswered = true;  // the consumer could escalate now; the merchant still cannot
  Command cmd(fb::Role::merchant, "m1", Arbitration(10));
  auto r = DecideAt(cmd, Start(), &c, &m);
  CHECK(r.status().code() == Code::kRejected);
  CHECK_THAT(r.status().message(), Contains("the merchant escalates only after answering"));
}

TEST_CASE("a verdict for the merchant closes the case", "[engine][case]") {
  const auto m = ActiveMerchant();
  CaseState c = AwaitingConsumer();
  c.status = fb::CaseStatus::in_mediation;
  auto v = CaseCommand<fb::IssueVerdictT>();
  v.in_favour_of = fb::Party::merchant;
  Command cmd(fb::Role::authority, "online_business_union", std::move(v));
  auto r = DecideAt(cmd, Start(), &c, &m);
  REQUIRE(r.ok());
  REQUIRE(PayloadTypes(*r) == Types{"VerdictIssued", "CaseClosed"});
  CHECK(r->at(0).payload.AsVerdictIssued()->forum == fb::Forum::mediation);
  CHECK(r->at(0).payload.AsVerdictIssued()->remedy_due_at_ms == 0);
  CHECK(r->at(1).payload.AsCaseClosed()->reason == fb::CloseReason::verdict_for_merchant);
}

TEST_CASE("a suspended merchant with no unanswered complaint is reinstated by its last owed answer",
          "[engine][case]") {
  auto m = ActiveMerchant();
  m.status = fb::MerchantStatus::suspended;
  m.owing = 1;
  const auto c = AwaitingResponse(1, Start() + 72 * H);
  Command cmd(fb::Role::merchant, "m1", Answer());
  auto r = DecideAt(cmd, Start() + H, &c, &m);
  REQUIRE(r.ok());
  REQUIRE(PayloadTypes(*r) == Types{"MerchantResponded", "MerchantReinstated"});
  CHECK(r->at(0).payload.AsMerchantResponded()->reinstatement_due_at_ms == Start() + H);
  CHECK(r->at(1).merchant_stream);
}

TEST_CASE(
    "a suspended merchant's last owed answer schedules reinstatement after as long as its "
    "first unanswered complaint was late",
    "[engine][case]") {
  auto m = ActiveMerchant();
  m.status = fb::MerchantStatus::suspended;
  m.owing = 1;
  m.first_unanswered_case = "c0";
  m.first_unanswered_late_ms = 3 * kDayMs;
  const auto c = AwaitingResponse(1, Start() + 72 * H);
  Command cmd(fb::Role::merchant, "m1", Answer());
  auto r = DecideAt(cmd, Start() + H, &c, &m);
  REQUIRE(r.ok());
  REQUIRE(PayloadTypes(*r) == Types{"MerchantResponded"});
  CHECK(r->at(0).payload.AsMerchantResponded()->reinstatement_due_at_ms ==
        Start() + H + 3 * kDayMs);
}

// --- the merchant --------------------------------------------------------------

TEST_CASE("an authority may suspend a merchant but only the operator reinstates it",
          "[engine][merchant][access]") {
  auto m = ActiveMerchant();
  auto suspend = fb::SuspendMerchantT();
  suspend.merchant_id = "m1";
  suspend.reason = "counterfeit goods";
  Command by_authority(fb::Role::authority, "police", std::move(suspend));
  auto s = DecideAt(by_authority, Start(), nullptr, &m);
  REQUIRE(s.ok());
  REQUIRE(PayloadTypes(*s) == Types{"MerchantSuspended"});
  CHECK(s->at(0).merchant_stream);

  m.status = fb::MerchantStatus::suspended;
  auto reinstate = [] {
    fb::ReinstateMerchantT r;
    r.merchant_id = "m1";
    r.reason = "cleared";
    return r;
  };
  Command authority_reinstates(fb::Role::authority, "police", reinstate());
  auto denied = DecideAt(authority_reinstates, Start(), nullptr, &m);
  CHECK(denied.status().code() == Code::kPermissionDenied);
  CHECK(denied.status().message() == "a authority may not ReinstateMerchant");
  Command operator_reinstates(fb::Role::operator_, "centre", reinstate());
  auto ok = DecideAt(operator_reinstates, Start(), nullptr, &m);
  REQUIRE(ok.ok());
  CHECK(PayloadTypes(*ok) == Types{"MerchantReinstated"});
}

TEST_CASE("a violation is of level 1, 2 or 3", "[engine][merchant]") {
  const auto m = ActiveMerchant();
  auto violation = [](uint8_t level) {
    fb::RecordViolationT v;
    v.merchant_id = "m1";
    v.rule = "price label missing";
    v.level = level;
    return v;
  };
  for (uint8_t bad : {0, 4}) {
    INFO(int(bad));
    Command cmd(fb::Role::operator_, "centre", violation(bad));
    CHECK(DecideAt(cmd, Start(), nullptr, &m).status().code() == Code::kInvalidArgument);
  }
  Command cmd(fb::Role::operator_, "centre", violation(2));
  auto r = DecideAt(cmd, Start(), nullptr, &m);
  REQUIRE(r.ok());
  REQUIRE(PayloadTypes(*r) == Types{"ViolationRecorded"});
  CHECK(r->at(0).payload.AsViolationRecorded()->level == 2);
}

TEST_CASE("a merchant is registered once", "[engine][merchant]") {
  const auto m = ActiveMerchant();
  fb::RegisterMerchantT reg;
  reg.merchant_id = "m1";
  reg.name = "Shop m1";
  reg.licence_date = "2024-01-01";
  reg.domains = {"m1.example"};
  Command cmd(fb::Role::operator_, "centre", std::move(reg));
  auto again = DecideAt(cmd, Start(), nullptr, &m);
  CHECK(again.status().code() == Code::kConflict);
  CHECK(again.status().message() == "RegisterMerchant: merchant m1 is already registered");
  auto first = DecideAt(cmd, Start(), nullptr, nullptr);
  REQUIRE(first.ok());
  CHECK(PayloadTypes(*first) == Types{"MerchantRegistered"});
}

// --- the CFPB import -----------------------------------------------------------

TEST_CASE(
    "an imported CFPB complaint registers an unseen company and runs its deadline from the date "
    "sent",
    "[engine][cfpb]") {
  fb::ImportCfpbComplaintT row;
  row.case_id = "cfpb-1";
  row.merchant_id = "acme";
  row.company = "Acme Bank";
  row.date_received = "2026-01-10";
  row.date_sent = "2026-01-12";
  row.source_file = "complaints.csv";
  row.source_line = 7;
  row.company_response = "Closed with explanation";
  row.timely_response = "Yes";
  Command cmd(fb::Role::operator_, "centre", std::move(row));
  auto r = DecideAt(cmd, Start(), nullptr, nullptr, "cfpb-1");
  REQUIRE(r.ok());
  REQUIRE(PayloadTypes(*r) == Types{"MerchantRegistered", "CfpbComplaintFiled", "ComplaintRouted",
                                    "CfpbStatusPublished"});
  CHECK(r->at(0).payload.AsMerchantRegistered()->name == "Acme Bank");
  CHECK(r->at(2).payload.AsComplaintRouted()->response_due_at_ms ==
        ParseTime("2026-01-12").value() + 72 * H);
  CHECK(r->at(3).payload.AsCfpbStatusPublished()->closes);

  const auto known = ActiveMerchant("acme");
  auto again = DecideAt(cmd, Start(), nullptr, &known, "cfpb-1");
  REQUIRE(again.ok());
  CHECK(PayloadTypes(*again).front() == "CfpbComplaintFiled");
}
