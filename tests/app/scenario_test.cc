// The complaint rules of DOMAIN.md as scenarios on a manual clock. Each
// checks the events the ledger wrote and the state that follows.
#include <catch2/catch.hpp>

#include <functional>

#include "app/ledger/policy_file.h"
#include "tests/support/fixture.h"

using namespace ledger;
using namespace ledger::test;
using C = fb::Command;
using Types = std::vector<std::string>;

namespace {
const TimeMs H = kHourMs;

bool Has(const Types& v, const std::string& t) {
  return std::find(v.begin(), v.end(), t) != v.end();
}
}  // namespace

TEST_CASE(
    "A merchant that ignores a complaint for 72 h, 48 h and 24 h gets three delays and an "
    "unanswered mark",
    "[rules][ladder]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto id = f.Accepted("m1", "R1");
  CHECK(f.Case(id).status == fb::CaseStatus::awaiting_response);

  CHECK(f.Advance(72 * H - 1).empty());
  CHECK(f.Advance(1) == Types{"ResponseDeadlineMissed"});
  CHECK(f.Case(id).delays == 1);
  CHECK(f.Case(id).response_window == 2);
  CHECK(f.Advance(48 * H) == Types{"ResponseDeadlineMissed"});
  CHECK(f.Advance(24 * H) ==
        Types{"ResponseDeadlineMissed", "ComplaintUnanswered", "SuspensionWarning"});

  const auto c = f.Case(id);
  CHECK(c.delays == 3);
  CHECK(c.unanswered);
  CHECK(c.status == fb::CaseStatus::awaiting_response);  // it may still answer
  const auto m = f.MerchantOf("m1");
  CHECK(m.delays_active == 3);
  CHECK(m.unanswered == 1);
  CHECK(m.status == fb::MerchantStatus::warned);
  CHECK(f.Advance(30 * 24 * H).empty());  // nothing more until it answers
}

TEST_CASE("An answer after one delay stops the ladder with one delay on the profile",
          "[rules][ladder]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto id = f.Accepted("m1", "R1");
  f.Advance(80 * H);
  auto r = f.Merchant(C::Respond, id, "m1", R"(,"message":"sorry")");
  REQUIRE(r.status.ok());
  CHECK(r.result["events"][0]["type"] == "MerchantResponded");
  const auto c = f.Case(id);
  CHECK(c.status == fb::CaseStatus::awaiting_consumer);
  CHECK(c.delays == 1);
  CHECK_FALSE(c.unanswered);
  CHECK(c.deadline_ms == 0);
  CHECK(f.MerchantOf("m1").delays_active == 1);
  CHECK(f.MerchantOf("m1").unanswered == 0);
  CHECK(f.Advance(100 * H).empty());
}

TEST_CASE("An answer after two delays leaves two delays and no unanswered mark",
          "[rules][ladder]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto id = f.Accepted("m1", "R1");
  f.Advance(72 * H + 48 * H + 1 * H);
  REQUIRE(f.Merchant(C::Respond, id, "m1", R"(,"message":"here")").status.ok());
  CHECK(f.Case(id).delays == 2);
  CHECK(f.MerchantOf("m1").delays_active == 2);
  CHECK(f.MerchantOf("m1").status == fb::MerchantStatus::active);
  CHECK_FALSE(f.Case(id).unanswered);
}

TEST_CASE("The consumer accepts the answer: the case closes by agreement and can be rated once",
          "[rules]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto id = f.Accepted("m1", "R1");
  REQUIRE(f.Merchant(C::Respond, id, "m1", R"(,"message":"ok")").status.ok());
  auto a = f.Consumer(C::Accept, id);
  REQUIRE(a.status.ok());
  CHECK(a.result["events"].size() == 2);
  CHECK(f.Case(id).status == fb::CaseStatus::closed);
  CHECK(f.Case(id).close_reason == fb::CloseReason::agreement);
  CHECK(f.MerchantOf("m1").resolved == 1);
  CHECK(f.MerchantOf("m1").open_cases == 0);
  REQUIRE(f.Consumer(C::Rate, id, R"(,"rating":4)").status.ok());
  CHECK(f.Case(id).rating == 4);
  CHECK(f.Consumer(C::Rate, id, R"(,"rating":5)").status.code() == Code::kRejected);
}

TEST_CASE("The merchant declares negotiation sufficient, then the consumer escalates to mediation",
          "[rules]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto id = f.Accepted("m1", "R1");
  REQUIRE(f.Merchant(C::Respond, id, "m1", R"(,"message":"final offer")").status.ok());
  REQUIRE(f.Merchant(C::DeclareSufficient, id, "m1").status.ok());
  CHECK(f.Case(id).status == fb::CaseStatus::negotiation_closed);
  // Only the consumer may send it on now.
  CHECK(f.Merchant(C::Escalate, id, "m1", R"(,"forum":"mediation")").status.code() ==
        Code::kRejected);
  REQUIRE(f.Consumer(C::Escalate, id, R"(,"forum":"mediation")").status.ok());
  const auto c = f.Case(id);
  CHECK(c.status == fb::CaseStatus::in_mediation);
  CHECK(c.authority == "online_business_union");
}

TEST_CASE("Mediation: the remedy is carried out and the case closes", "[rules][mediation]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto id = f.Accepted("m1", "R1");
  REQUIRE(f.Merchant(C::Respond, id, "m1", R"(,"message":"no")").status.ok());
  REQUIRE(f.Consumer(C::Escalate, id, R"(,"forum":"mediation")").status.ok());
  auto v = f.Run(C::IssueVerdict, fb::Role::authority, "online_business_union",
                 Fixture::CaseBody(id, R"(,"in_favour_of":"consumer","remedy":"delivery")"));
  REQUIRE(v.status.ok());
  CHECK(f.Case(id).status == fb::CaseStatus::remedy_due);
  CHECK(f.Case(id).deadline_ms == f.clock().Now() + 168 * H);
  f.Advance(100 * H);
  REQUIRE(f.Consumer(C::CarryOutRemedy, id).status.ok());
  CHECK(f.Case(id).status == fb::CaseStatus::closed);
  CHECK(f.Case(id).close_reason == fb::CloseReason::remedy_carried_out);
  CHECK(f.Advance(200 * H).empty());
  CHECK(f.MerchantOf("m1").unresolved == 0);
}

TEST_CASE("Mediation: a remedy not carried out makes the complaint unresolved",
          "[rules][mediation]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto id = f.Accepted("m1", "R1");
  REQUIRE(f.Merchant(C::Respond, id, "m1", R"(,"message":"no")").status.ok());
  REQUIRE(f.Consumer(C::Escalate, id, R"(,"forum":"mediation")").status.ok());
  REQUIRE(f.Run(C::IssueVerdict, fb::Role::authority, "online_business_union",
                Fixture::CaseBody(
                    id, R"(,"in_favour_of":"consumer","remedy":"refund","amount":500000)"))
              .status.ok());
  CHECK(f.Advance(168 * H) == Types{"RemedyDeadlineMissed", "ComplaintUnresolved"});
  CHECK(f.Case(id).unresolved);
  CHECK(f.MerchantOf("m1").unresolved == 1);
  // Carried out late, it closes and leaves the profile's unresolved count.
  auto late = f.Consumer(C::CarryOutRemedy, id);
  REQUIRE(late.status.ok());
  CHECK(f.MerchantOf("m1").unresolved == 0);
}

TEST_CASE("Arbitration for the merchant closes the case", "[rules][arbitration]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto id = f.Accepted("m1", "R1");
  REQUIRE(f.Merchant(C::Respond, id, "m1", R"(,"message":"no")").status.ok());
  REQUIRE(
      f.Consumer(C::Escalate, id, R"(,"forum":"arbitration","fee_rate_percent":10)").status.ok());
  auto c = f.Case(id);
  CHECK(c.status == fb::CaseStatus::in_arbitration);
  CHECK(c.fee_rate_bp == 1000);
  CHECK(c.fee_amount == 50000);
  CHECK(c.authority == "arbitration_board");
  CHECK(c.deadline_ms == f.clock().Now() + 72 * H);
  // The board waits for the defence window.
  CHECK(f.Run(C::IssueVerdict, fb::Role::authority, "arbitration_board",
              Fixture::CaseBody(id, R"(,"in_favour_of":"merchant")"))
            .status.code() == Code::kRejected);
  REQUIRE(
      f.Merchant(C::FileDefence, id, "m1", R"(,"statement":"delivered, see receipt")").status.ok());
  REQUIRE(f.Run(C::IssueVerdict, fb::Role::authority, "arbitration_board",
                Fixture::CaseBody(id, R"(,"in_favour_of":"merchant")"))
              .status.ok());
  c = f.Case(id);
  CHECK(c.status == fb::CaseStatus::closed);
  CHECK(c.close_reason == fb::CloseReason::verdict_for_merchant);
  CHECK(c.fee_payer == fb::Party::consumer);
}

TEST_CASE(
    "Arbitration against the merchant: 72 h defence, 168 h remedy, then the fee moves to the "
    "merchant",
    "[rules][arbitration]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto id = f.Accepted("m1", "R1");
  REQUIRE(f.Merchant(C::Respond, id, "m1", R"(,"message":"no")").status.ok());
  REQUIRE(
      f.Consumer(C::Escalate, id, R"(,"forum":"arbitration","fee_rate_percent":2)").status.ok());
  CHECK(f.Advance(72 * H) == Types{"DefenceDeadlineMissed"});
  CHECK(f.Case(id).status == fb::CaseStatus::awaiting_verdict);
  CHECK(f.Merchant(C::FileDefence, id, "m1", R"(,"statement":"late")").status.code() ==
        Code::kRejected);
  REQUIRE(f.Run(C::IssueVerdict, fb::Role::authority, "arbitration_board",
                Fixture::CaseBody(
                    id, R"(,"in_favour_of":"consumer","remedy":"refund","amount":500000)"))
              .status.ok());
  CHECK(f.Advance(168 * H - 1).empty());
  CHECK(f.Advance(1) == Types{"RemedyDeadlineMissed", "ComplaintUnresolved"});
  const auto c = f.Case(id);
  CHECK(c.fee_payer == fb::Party::merchant);
  CHECK(c.fee_amount == 10000);
  CHECK(c.unresolved);
  CHECK(f.MerchantOf("m1").unresolved == 1);
}

TEST_CASE("A warning at 3 active delays and suspension at 5", "[rules][suspension]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto a = f.Accepted("m1", "R1");
  const auto b = f.Accepted("m1", "R2");
  auto first = f.Advance(72 * H);
  CHECK(std::count(first.begin(), first.end(), "ResponseDeadlineMissed") == 2);
  auto second = f.Advance(48 * H);
  CHECK(Has(second, "SuspensionWarning"));
  CHECK(f.MerchantOf("m1").status == fb::MerchantStatus::warned);
  auto third = f.Advance(24 * H);
  CHECK(Has(third, "MerchantSuspended"));
  const auto m = f.MerchantOf("m1");
  CHECK(m.status == fb::MerchantStatus::suspended);
  CHECK(m.delays_active == 6);
  // A suspended merchant cannot be complained about.
  auto refused =
      f.Run(C::FileComplaint, fb::Role::consumer, "u-1", Fixture::ComplaintBody("m1", "R3"));
  CHECK(refused.status.code() == Code::kRejected);
  CHECK(refused.status.message().find("suspended") != std::string::npos);
  (void)a;
  (void)b;
}

TEST_CASE("Reinstatement once every open complaint is answered, after the first one's lateness",
          "[rules][suspension]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto a = f.Accepted("m1", "R1");
  const auto b = f.Accepted("m1", "R2");
  f.Advance(144 * H);  // both unanswered: 6 delays, suspended
  REQUIRE(f.MerchantOf("m1").status == fb::MerchantStatus::suspended);
  f.Advance(50 * H);  // 2 days and 2 h late
  REQUIRE(f.Merchant(C::Respond, a, "m1", R"(,"message":"x")").status.ok());
  CHECK(f.MerchantOf("m1").reinstatement_due_at_ms == 0);  // b is still open
  REQUIRE(f.Merchant(C::Respond, b, "m1", R"(,"message":"y")").status.ok());
  const TimeMs due = f.MerchantOf("m1").reinstatement_due_at_ms;
  CHECK(due == f.clock().Now() + 3 * 24 * H);  // the first unanswered was 50 h late: 3 days
  CHECK(f.Advance(3 * 24 * H - 1).empty());
  CHECK(f.Advance(1) == Types{"UnansweredDecayed", "UnansweredDecayed", "MerchantReinstated"});
  CHECK(f.MerchantOf("m1").status == fb::MerchantStatus::active);
}

TEST_CASE("The centre may suspend on an authority's request and reinstate by command",
          "[rules][suspension]") {
  Fixture f;
  f.RegisterMerchant("m1");
  REQUIRE(f.Run(C::SuspendMerchant, fb::Role::authority, "police",
                R"({"merchant_id":"m1","reason":"review"})")
              .status.ok());
  CHECK(f.MerchantOf("m1").status == fb::MerchantStatus::suspended);
  CHECK(f.Run(C::ReinstateMerchant, fb::Role::merchant, "m1",
              R"({"merchant_id":"m1","reason":"pls"})")
            .status.code() == Code::kPermissionDenied);
  REQUIRE(f.Op(C::ReinstateMerchant, R"({"merchant_id":"m1","reason":"reviewed"})").status.ok());
  CHECK(f.MerchantOf("m1").status == fb::MerchantStatus::active);
}

TEST_CASE("A delay decays 90 days after it was recorded, and lifts the warning", "[rules][decay]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto id = f.Accepted("m1", "R1");
  f.Advance(72 * H + 48 * H + 24 * H);
  REQUIRE(f.MerchantOf("m1").status == fb::MerchantStatus::warned);
  REQUIRE(f.Merchant(C::Respond, id, "m1", R"(,"message":"late")").status.ok());
  // First delay at 72 h; it decays 90 days later.
  const TimeMs until_first_decay = 72 * H + 90 * 24 * H - (72 + 48 + 24) * H;
  auto before = f.Advance(until_first_decay - 1);
  CHECK_FALSE(Has(before, "DelayDecayed"));
  CHECK(f.Advance(1) == Types{"DelayDecayed"});
  CHECK(f.MerchantOf("m1").delays_active == 2);
  CHECK(f.MerchantOf("m1").status == fb::MerchantStatus::active);
  CHECK(f.MerchantOf("m1").delays_total == 3);
}

TEST_CASE("An unanswered mark decays after as many days as the answer was late", "[rules][decay]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto id = f.Accepted("m1", "R1");
  f.Advance(144 * H);
  REQUIRE(f.Case(id).unanswered);
  f.Advance(4 * 24 * H + 5 * H);  // 4 days 5 h late: counts as 5 days
  auto r = f.Merchant(C::Respond, id, "m1", R"(,"message":"late")");
  REQUIRE(r.status.ok());
  CHECK(f.Case(id).unanswered_decays_at_ms == f.clock().Now() + 5 * 24 * H);
  CHECK(f.MerchantOf("m1").unanswered == 1);
  CHECK(f.Advance(5 * 24 * H - 1).empty());
  CHECK(f.Advance(1) == Types{"UnansweredDecayed"});
  CHECK(f.MerchantOf("m1").unanswered == 0);
  CHECK_FALSE(f.Case(id).unanswered);
}

TEST_CASE("A consumer reply restarts the merchant's 72 h clock", "[rules][ladder]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto id = f.Accepted("m1", "R1");
  REQUIRE(f.Merchant(C::Respond, id, "m1", R"(,"message":"a")").status.ok());
  f.Advance(10 * H);
  REQUIRE(f.Consumer(C::Reply, id, R"(,"message":"still broken")").status.ok());
  CHECK(f.Case(id).status == fb::CaseStatus::awaiting_response);
  CHECK(f.Case(id).deadline_ms == f.clock().Now() + 72 * H);
  CHECK(f.Advance(72 * H) == Types{"ResponseDeadlineMissed"});
}

TEST_CASE("Routing picks the authority from the policy's table", "[rules][routing]") {
  Fixture f;
  f.RegisterMerchant("m1");
  f.RegisterMerchant("clinic", R"(,"sector":"medical")");
  auto file = [&](const std::string& merchant, const std::string& ref, const char* category) {
    auto o = f.Run(
        C::FileComplaint, fb::Role::consumer, "u-1",
        Fixture::ComplaintBody(merchant, ref)
            .replace(Fixture::ComplaintBody(merchant, ref).find("non_delivery"), 12, category));
    REQUIRE(o.status.ok());
    const std::string id = o.result["case_id"];
    REQUIRE(f.Op(C::VerifyTransaction, Fixture::CaseBody(id)).status.ok());
    return f.Case(id);
  };
  CHECK(file("m1", "A", "counterfeit").authority == "police");
  CHECK(file("m1", "B", "counterfeit").violation);
  CHECK(file("m1", "C", "overpricing").authority == "consumer_protection");
  CHECK(file("m1", "D", "no_refund").authority == "online_business_union");
  CHECK_FALSE(file("m1", "E", "no_refund").violation);
  CHECK(file("clinic", "F", "no_refund").authority == "medical_council");
}

TEST_CASE("The cfpb profile: one 15-day window, and a case still open at 60 days is unresolved",
          "[rules][policy]") {
  Fixture f("cfpb");
  CHECK(f.ledger().policy().version == "cfpb-1");
  f.RegisterMerchant("bank");
  const auto id = f.Accepted("bank", "R1");
  CHECK(f.Case(id).deadline_ms == f.clock().Now() + 15 * 24 * H);
  CHECK(f.Advance(15 * 24 * H) == Types{"ResponseDeadlineMissed", "ComplaintUnanswered"});
  REQUIRE(
      f.Merchant(C::Respond, id, "bank", R"(,"message":"closed with explanation")").status.ok());
  CHECK(f.Advance(45 * 24 * H - 1) == Types{"UnansweredDecayed"});  // answered 0 days late
  CHECK(f.Advance(1) == Types{"ComplaintUnresolved"});
  CHECK(f.MerchantOf("bank").unresolved == 1);
}

TEST_CASE("The enamad profile has the DOMAIN.md numbers", "[policy]") {
  auto p = LoadPolicy("enamad");
  REQUIRE(p.ok());
  CHECK(p->response_windows == std::vector<TimeMs>{72 * H, 48 * H, 24 * H});
  CHECK(p->delay_decay == 90 * 24 * H);
  CHECK(p->warning_active_delays == 3);
  CHECK(p->suspension_active_delays == 5);
  CHECK(p->defence_window == 72 * H);
  CHECK(p->arbitration_remedy_window == 168 * H);
  CHECK(p->fee_percent_min == 2);
  CHECK(p->fee_percent_max == 20);
  CHECK(p->closure_window == 0);
}

TEST_CASE("A policy file with a missing number is refused with its name", "[policy]") {
  auto p = ParsePolicy(R"({"name":"x","version":"x1","response_windows_hours":[72]})");
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().message().find("delay_decay_days") != std::string::npos);
  CHECK_FALSE(ParsePolicy("{not json").ok());
  CHECK(LoadPolicy("/nonexistent/policy.json").status().code() == Code::kNotFound);
}

TEST_CASE("A policy with a wrongly typed or out-of-range field is refused naming the field",
          "[policy]") {
  auto with = [](const std::function<void(nlohmann::json&)>& change) {
    auto j = nlohmann::json::parse(R"({"name":"x","version":"x1","response_windows_hours":[72],
      "delay_decay_days":90,"warning_active_delays":3,"suspension_active_delays":5,
      "defence_window_hours":72,"arbitration_remedy_window_hours":168,"mediation_remedy_window_hours":168,
      "closure_window_hours":0,"arbitration_fee_percent":{"min":2,"max":20},
      "arbitration_authority":"board","routing":[{"authority":"centre"}]})");
    change(j);
    return ParsePolicy(j.dump());
  };
  REQUIRE(with([](nlohmann::json&) {}).ok());
  auto sector = with([](nlohmann::json& j) { j["routing"][0]["sector"] = 1; });
  REQUIRE_FALSE(sector.ok());
  CHECK(sector.status().message() == "policy: routing[0].'sector' must be a string");
  auto violation = with([](nlohmann::json& j) { j["routing"][0]["violation"] = "yes"; });
  CHECK(violation.status().message() == "policy: routing[0].'violation' must be true or false");
  auto description = with([](nlohmann::json& j) { j["description"] = 7; });
  CHECK(description.status().message() == "policy: 'description' must be a string");
  auto categories = with([](nlohmann::json& j) { j["routing"][0]["categories"] = "fraud"; });
  CHECK(categories.status().message() == "policy: routing[0].categories must be an array");
  auto decay = with([](nlohmann::json& j) { j["delay_decay_days"] = 1e300; });
  CHECK(decay.status().message().find("'delay_decay_days' is 1e+300, more than") !=
        std::string::npos);
  auto window = with([](nlohmann::json& j) { j["response_windows_hours"] = {72, 1e20}; });
  CHECK(window.status().message().find("each response window") != std::string::npos);
}

TEST_CASE("Every event records the policy version and the actor", "[events]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto id = f.Accepted("m1", "R1");
  const auto p = PartitionFor("m1", f.ledger().log().partitions());
  auto recs = f.ledger().log().Read(p, 0, 100).value();
  REQUIRE(recs.size() == 4);
  const auto* e = DecodeEvent(recs[1].bytes).value();
  CHECK(e->payload_type() == fb::Payload::ComplaintFiled);
  CHECK(e->policy_version()->str() == "enamad-1");
  CHECK(e->actor()->role() == fb::Role::consumer);
  CHECK(e->actor()->id()->str() == "u-1");
  CHECK(e->stream_id()->str() == "case/" + id);
  CHECK(e->stream_version() == 1);
  CHECK(e->partition_key()->str() == "m1");
  CHECK(e->schema_version() == 1);
  const auto* routed = DecodeEvent(recs[3].bytes).value();
  CHECK(routed->stream_version() == 3);
  CHECK(routed->causation_id()->str() == routed->command_id()->str());
  CHECK(routed->correlation_id()->str() == id);
}
