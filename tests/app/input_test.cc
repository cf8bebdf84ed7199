// Bad input and illegal transitions: a clear error that names what is wrong,
// and the log exactly as it was.
#include <catch2/catch.hpp>

#include "tests/support/fixture.h"

using namespace ledger;
using namespace ledger::test;
using C = fb::Command;

namespace {

// Runs `body` as a FileComplaint and checks it is refused with `code`, the
// message containing `words`, and nothing written.
void RefusedFiling(Fixture& f, const std::string& body, Code code, const std::string& words) {
  const uint64_t before = f.LogLength();
  auto o = f.Run(C::FileComplaint, fb::Role::consumer, "u-1", body);
  INFO(body);
  INFO(o.status.ToString());
  CHECK(o.status.code() == code);
  CHECK(o.status.message().find(words) != std::string::npos);
  CHECK(f.LogLength() == before);
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

}  // namespace

TEST_CASE("Bad filings are refused with a clear error and change nothing", "[input]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const std::string good = Fixture::ComplaintBody("m1", "R1");
  RefusedFiling(f, "{\"merchant_id\": ", Code::kInvalidArgument, "bad command JSON");
  RefusedFiling(f, "[1,2]", Code::kInvalidArgument, "bad command JSON");
  RefusedFiling(f, Replace(good, R"("terminal":"T-9",)", ""), Code::kInvalidArgument,
                "required field is missing: terminal");
  RefusedFiling(f, Replace(good, R"("terminal":"T-9",)", R"("terminal":"T-9","colour":"red",)"),
                Code::kInvalidArgument, "unknown field: colour");
  RefusedFiling(f, Replace(good, R"("amount":500000)", R"("amount":"lots")"),
                Code::kInvalidArgument, "bad command JSON");
  RefusedFiling(f, Replace(good, R"("amount":500000)", R"("amount":0)"), Code::kInvalidArgument,
                "amount must be positive");
  RefusedFiling(f, Replace(good, R"("amount":500000)", R"("amount":-5)"), Code::kInvalidArgument,
                "amount must be positive");
  RefusedFiling(f, Replace(good, R"("amount":500000,)", ""), Code::kInvalidArgument,
                "'amount' is required");
  RefusedFiling(f, Replace(good, R"("category":"non_delivery")", R"("category":"sadness")"),
                Code::kInvalidArgument, "sadness");
  RefusedFiling(f, Replace(good, R"("merchant_id":"m1")", R"("merchant_id":"nobody")"),
                Code::kNotFound, "merchant nobody is not registered");
  RefusedFiling(f, Replace(good, R"("category")", R"("payment_method":"cash","category")"),
                Code::kRejected, "cash purchases cannot be filed");
  RefusedFiling(f, Replace(good, "2026-02-20", "2026-03-02"), Code::kInvalidArgument,
                "in the future");
  RefusedFiling(f, Replace(good, "2026-02-20", "2026-02-30"), Code::kInvalidArgument,
                "not a UTC time");
  RefusedFiling(f, Replace(good, R"("invoice_number":"INV-R1",)", ""), Code::kInvalidArgument,
                "invoice_number");
  RefusedFiling(f, Replace(good, R"("reference_number":"R1")", R"("reference_number":"")"),
                Code::kInvalidArgument, "must not be empty");
}

TEST_CASE("A second complaint on the same transaction is refused", "[input][duplicate]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto first = f.Accepted("m1", "R1");
  const uint64_t before = f.LogLength();
  auto again = f.Run(C::FileComplaint, fb::Role::consumer, "u-2",
                     Fixture::ComplaintBody("m1", "R1")
                         .replace(Fixture::ComplaintBody("m1", "R1").find("u-1"), 3, "u-2"));
  CHECK(again.status.code() == Code::kConflict);
  CHECK(again.status.message().find(first) != std::string::npos);
  CHECK(f.LogLength() == before);
  // A different amount is a different transaction.
  auto other = f.Run(C::FileComplaint, fb::Role::consumer, "u-1",
                     Fixture::ComplaintBody("m1", "R1")
                         .replace(Fixture::ComplaintBody("m1", "R1").find("500000"), 6, "500001"));
  CHECK(other.status.ok());
}

TEST_CASE("A rejected transaction frees the transaction for a corrected filing",
          "[input][duplicate]") {
  Fixture f;
  f.RegisterMerchant("m1");
  auto filed =
      f.Run(C::FileComplaint, fb::Role::consumer, "u-1", Fixture::ComplaintBody("m1", "R1"));
  REQUIRE(filed.status.ok());
  REQUIRE(f.Op(C::RejectTransaction,
               Fixture::CaseBody(filed.result["case_id"], R"(,"reason":"no such payment")"))
              .status.ok());
  CHECK(f.Case(filed.result["case_id"]).status == fb::CaseStatus::rejected);
  CHECK(f.Run(C::FileComplaint, fb::Role::consumer, "u-1", Fixture::ComplaintBody("m1", "R1"))
            .status.ok());
}

TEST_CASE("A retried command id returns the first result and appends nothing",
          "[input][idempotency]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const std::string body = Fixture::ComplaintBody("m1", "R1");
  auto first = f.Run(C::FileComplaint, fb::Role::consumer, "u-1", body, "file-1");
  REQUIRE(first.status.ok());
  const uint64_t after_first = f.LogLength();
  auto retry = f.Run(C::FileComplaint, fb::Role::consumer, "u-1", body, "file-1");
  REQUIRE(retry.status.ok());
  CHECK(retry.result["replayed"] == true);
  CHECK(retry.result["case_id"] == first.result["case_id"]);
  CHECK(retry.result["events"] == first.result["events"]);
  CHECK(f.LogLength() == after_first);
  // The same id for another command is a conflict, not a replay.
  auto reuse = f.Run(C::FileComplaint, fb::Role::consumer, "u-1",
                     Fixture::ComplaintBody("m1", "R2"), "file-1");
  CHECK(reuse.status.code() == Code::kConflict);
  CHECK(f.LogLength() == after_first);
}

TEST_CASE("A retry survives a restart: the command index is rebuilt from the log",
          "[input][idempotency]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const std::string body = Fixture::ComplaintBody("m1", "R1");
  REQUIRE(f.Run(C::FileComplaint, fb::Role::consumer, "u-1", body, "file-1").status.ok());
  const uint64_t n = f.LogLength();
  // Rebuild the views from the log alone.
  auto fresh = ViewStore::Open(f.dir() + "/views-rebuilt").value();
  REQUIRE(ApplyLog(f.ledger().log(), *fresh).value().applied == n);
  auto stored = fresh->Get(Cf::kCommands, "file-1").value();
  REQUIRE(stored);
  CHECK(stored->find("ComplaintFiled") != std::string::npos);
}

TEST_CASE("Actors act only on their own cases", "[input][access]") {
  Fixture f;
  f.RegisterMerchant("m1");
  f.RegisterMerchant("m2");
  const auto id = f.Accepted("m1", "R1");
  auto as = [&](fb::Role role, const std::string& who, C type, const std::string& extra = "") {
    return f.Run(type, role, who, Fixture::CaseBody(id, extra)).status.code();
  };
  CHECK(as(fb::Role::merchant, "m2", C::Respond, R"(,"message":"x")") == Code::kPermissionDenied);
  CHECK(as(fb::Role::consumer, "u-9", C::Withdraw) == Code::kPermissionDenied);
  CHECK(as(fb::Role::consumer, "u-1", C::Respond, R"(,"message":"x")") == Code::kPermissionDenied);
  CHECK(as(fb::Role::merchant, "m1", C::VerifyTransaction) == Code::kPermissionDenied);
  CHECK(f.Run(C::RegisterMerchant, fb::Role::merchant, "m3",
              R"({"merchant_id":"m3","name":"x","licence_date":"2024-01-01","domains":["x.ir"]})")
            .status.code() == Code::kPermissionDenied);
  CHECK(f.Run(C::FileComplaint, fb::Role::consumer, "u-2", Fixture::ComplaintBody("m1", "R7"))
            .status.code() == Code::kPermissionDenied);
  CHECK(as(fb::Role::merchant, "m1", C::Respond, R"(,"message":"x")") == Code::kOk);
}

TEST_CASE("Unknown cases and merchants are named in the error", "[input]") {
  Fixture f;
  auto o = f.Consumer(C::Accept, "C-nope");
  CHECK(o.status.code() == Code::kNotFound);
  CHECK(o.status.message().find("C-nope") != std::string::npos);
  auto m = f.Op(C::RecordViolation, R"({"merchant_id":"ghost","level":1,"rule":"x"})");
  CHECK(m.status.code() == Code::kNotFound);
  CHECK(m.status.message().find("ghost") != std::string::npos);
  CHECK(f.LogLength() == 0);
}

TEST_CASE("Violations must be level 1, 2 or 3", "[input]") {
  Fixture f;
  f.RegisterMerchant("m1");
  CHECK(f.Op(C::RecordViolation, R"({"merchant_id":"m1","level":4,"rule":"x"})").status.code() ==
        Code::kInvalidArgument);
  REQUIRE(f.Op(C::RecordViolation, R"({"merchant_id":"m1","level":3,"rule":"counterfeit goods"})")
              .status.ok());
  CHECK(f.MerchantOf("m1").violations_l3 == 1);
}

TEST_CASE("Arbitration fees outside the policy's 2-20 % are refused", "[input]") {
  Fixture f;
  f.RegisterMerchant("m1");
  const auto id = f.Accepted("m1", "R1");
  REQUIRE(f.Merchant(C::Respond, id, "m1", R"(,"message":"no")").status.ok());
  CHECK(f.Consumer(C::Escalate, id, R"(,"forum":"arbitration","fee_rate_percent":25)")
            .status.code() == Code::kInvalidArgument);
  CHECK(f.Consumer(C::Escalate, id, R"(,"forum":"arbitration","fee_rate_percent":1.5)")
            .status.code() == Code::kInvalidArgument);
  CHECK(f.Consumer(C::Escalate, id, R"(,"forum":"arbitration")").status.code() ==
        Code::kInvalidArgument);
  CHECK(f.Consumer(C::Escalate, id, R"(,"forum":"arbitration","fee_rate_percent":20)").status.ok());
}

TEST_CASE("A clock behind the ledger is refused, so events never go back in time",
          "[input][clock]") {
  Fixture f;
  f.RegisterMerchant("m1");
  f.clock().Advance(-kHourMs);
  const uint64_t before = f.LogLength();
  auto o = f.Op(C::RecordViolation, R"({"merchant_id":"m1","level":1,"rule":"x"})");
  CHECK(o.status.code() == Code::kConflict);
  CHECK(o.status.message().find("before the ledger's latest event") != std::string::npos);
  CHECK(f.LogLength() == before);
}

// Every command in every state where DOMAIN.md does not allow it.
TEST_CASE("Every illegal transition is refused, naming the case, its state and the command",
          "[input][transitions]") {
  using S = fb::CaseStatus;
  // How to reach each state, from a fresh accepted case.
  struct Path {
    S status;
    std::function<void(Fixture&, const std::string&)> reach;
  };
  auto respond = [](Fixture& f, const std::string& id) {
    REQUIRE(f.Merchant(C::Respond, id, "m1", R"(,"message":"a")").status.ok());
  };
  std::vector<Path> paths = {
      {S::awaiting_response, [](Fixture&, const std::string&) {}},
      {S::awaiting_consumer, respond},
      {S::negotiation_closed,
       [&](Fixture& f, const std::string& id) {
         respond(f, id);
         REQUIRE(f.Merchant(C::DeclareSufficient, id, "m1").status.ok());
       }},
      {S::in_mediation,
       [&](Fixture& f, const std::string& id) {
         respond(f, id);
         REQUIRE(f.Consumer(C::Escalate, id, R"(,"forum":"mediation")").status.ok());
       }},
      {S::in_arbitration,
       [&](Fixture& f, const std::string& id) {
         respond(f, id);
         REQUIRE(f.Consumer(C::Escalate, id, R"(,"forum":"arbitration","fee_rate_percent":5)")
                     .status.ok());
       }},
      {S::awaiting_verdict,
       [&](Fixture& f, const std::string& id) {
         respond(f, id);
         REQUIRE(f.Consumer(C::Escalate, id, R"(,"forum":"arbitration","fee_rate_percent":5)")
                     .status.ok());
         REQUIRE(f.Merchant(C::FileDefence, id, "m1", R"(,"statement":"s")").status.ok());
       }},
      {S::remedy_due,
       [&](Fixture& f, const std::string& id) {
         respond(f, id);
         REQUIRE(f.Consumer(C::Escalate, id, R"(,"forum":"mediation")").status.ok());
         REQUIRE(f.Op(C::IssueVerdict,
                      Fixture::CaseBody(id, R"(,"in_favour_of":"consumer","remedy":"refund")"))
                     .status.ok());
       }},
      {S::closed,
       [&](Fixture& f, const std::string& id) {
         respond(f, id);
         REQUIRE(f.Consumer(C::Accept, id).status.ok());
       }},
      {S::withdrawn,
       [](Fixture& f, const std::string& id) { REQUIRE(f.Consumer(C::Withdraw, id).status.ok()); }},
  };
  // The commands and the states in which each is allowed (by someone).
  struct Move {
    C type;
    std::string extra;
    std::vector<S> allowed;
  };
  const std::vector<Move> moves = {
      {C::VerifyTransaction, "", {}},
      {C::RejectTransaction, R"(,"reason":"x")", {}},
      {C::Respond, R"(,"message":"m")", {S::awaiting_response}},
      {C::Reply,
       R"(,"message":"m")",
       {S::awaiting_response, S::awaiting_consumer, S::negotiation_closed}},
      {C::Accept, "", {S::awaiting_consumer, S::negotiation_closed}},
      {C::DeclareSufficient, "", {S::awaiting_consumer}},
      {C::Escalate,
       R"(,"forum":"mediation","by":"consumer")",
       {S::awaiting_consumer, S::negotiation_closed}},
      {C::FileDefence, R"(,"statement":"s")", {S::in_arbitration}},
      {C::IssueVerdict, R"(,"in_favour_of":"merchant")", {S::in_mediation, S::awaiting_verdict}},
      {C::CarryOutRemedy, "", {S::remedy_due}},
      {C::Withdraw,
       "",
       {S::awaiting_response, S::awaiting_consumer, S::negotiation_closed, S::in_mediation,
        S::in_arbitration, S::awaiting_verdict, S::remedy_due}},
      {C::Rate, R"(,"rating":3)", {S::closed}},
  };
  int refused = 0;
  for (const auto& path : paths) {
    for (const auto& move : moves) {
      const bool allowed =
          std::find(move.allowed.begin(), move.allowed.end(), path.status) != move.allowed.end();
      if (allowed) continue;
      Fixture f;
      f.RegisterMerchant("m1");
      const auto id = f.Accepted("m1", "R1");
      path.reach(f, id);
      REQUIRE(f.Case(id).status == path.status);
      const uint64_t before = f.LogLength();
      auto o = f.Op(move.type, Fixture::CaseBody(id, move.extra));
      INFO(fmt::format("{} in {}", CommandName(move.type), fb::EnumNameCaseStatus(path.status)));
      CHECK(o.status.code() == Code::kRejected);
      CHECK(o.status.message().find(id) != std::string::npos);
      CHECK(o.status.message().find(fb::EnumNameCaseStatus(path.status)) != std::string::npos);
      CHECK(o.status.message().find(CommandName(move.type)) != std::string::npos);
      CHECK(f.LogLength() == before);
      ++refused;
    }
  }
  CHECK(refused > 60);
}
