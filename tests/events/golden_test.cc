// Encoded events of every schema version decode with the current code.
// tests/golden/v1/<EventType>.bin were written by this test with
// LEDGER_WRITE_GOLDEN=1 and are never rewritten for an old version.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <catch2/catch.hpp>

#include "app/ledger/command_codec.h"
#include "engine/event_subject.h"
#include "replay/event_json.h"
#include "tests/support/fixture.h"

using namespace ledger;
using namespace ledger::test;
using C = fb::Command;

namespace {

// Drives cases through every event type and returns one record of each.
std::map<std::string, std::string> OneOfEach() {
  Fixture f;
  f.RegisterMerchant("m1", R"(,"sector":"retail","region":"Tehran")");
  f.RegisterMerchant("m2");
  REQUIRE(f.Op(C::ChangeStarLevel, R"({"merchant_id":"m1","star_level":"star3"})").status.ok());
  REQUIRE(f.Op(C::RecordViolation, R"({"merchant_id":"m1","level":1,"rule":"no price label"})")
              .status.ok());
  auto rej = f.Run(C::FileComplaint, fb::Role::consumer, "u-1", Fixture::ComplaintBody("m1", "X"));
  REQUIRE(f.Op(C::RejectTransaction,
               Fixture::CaseBody(rej.result["case_id"], R"(,"reason":"no such payment")"))
              .status.ok());
  const auto a = f.Accepted("m1", "A");
  const auto b = f.Accepted("m1", "B");
  f.Advance(144 * kHourMs);  // delays, unanswered, warning, suspension
  REQUIRE(f.Merchant(C::Respond, a, "m1", R"(,"message":"late")").status.ok());
  REQUIRE(f.Merchant(C::Respond, b, "m1", R"(,"message":"late")").status.ok());
  f.Advance(10 * 24 * kHourMs);  // unanswered decays, reinstatement
  REQUIRE(f.Consumer(C::Reply, a, R"(,"message":"not enough")").status.ok());
  REQUIRE(f.Merchant(C::Respond, a, "m1", R"(,"message":"more")").status.ok());
  REQUIRE(f.Merchant(C::DeclareSufficient, a, "m1").status.ok());
  REQUIRE(f.Consumer(C::Escalate, a, R"(,"forum":"arbitration","fee_rate_percent":4)").status.ok());
  f.Advance(72 * kHourMs);  // defence deadline missed
  REQUIRE(
      f.Op(C::IssueVerdict,
           Fixture::CaseBody(a, R"(,"in_favour_of":"consumer","remedy":"refund","amount":500000)"))
          .status.ok());
  f.Advance(168 * kHourMs);  // remedy missed, unresolved
  REQUIRE(f.Consumer(C::CarryOutRemedy, a).status.ok());
  REQUIRE(f.Consumer(C::Rate, a, R"(,"rating":2)").status.ok());
  REQUIRE(f.Consumer(C::Escalate, b, R"(,"forum":"mediation")").status.ok());
  REQUIRE(f.Run(C::IssueVerdict, fb::Role::authority, "online_business_union",
                Fixture::CaseBody(b, R"(,"in_favour_of":"merchant")"))
              .status.ok());
  const auto c = f.Accepted("m2", "C");
  REQUIRE(f.Merchant(C::Respond, c, "m2", R"(,"message":"ok")").status.ok());
  REQUIRE(f.Consumer(C::Accept, c).status.ok());
  const auto d = f.Accepted("m2", "D");
  REQUIRE(f.Merchant(C::Respond, d, "m2", R"(,"message":"ok")").status.ok());
  REQUIRE(f.Consumer(C::Escalate, d, R"(,"forum":"arbitration","fee_rate_percent":2)").status.ok());
  REQUIRE(f.Merchant(C::FileDefence, d, "m2", R"(,"statement":"s")").status.ok());
  const auto e = f.Accepted("m2", "E");
  REQUIRE(f.Consumer(C::Withdraw, e, R"(,"reason":"settled")").status.ok());
  // A row of the CFPB's public database.
  REQUIRE(
      f.Op(C::ImportCfpbComplaint,
           R"({"case_id":"cfpb-1","merchant_id":"acme-bank-0a1b2c3d","company":"Acme Bank",)"
           R"("date_received":"2026-02-27","date_sent":"2026-02-27","product":"Mortgage",)"
           R"("issue":"Loan servicing","state":"CA","zip_code":"94110","submitted_via":"Web",)"
           R"("company_response":"Closed with explanation","timely_response":"Yes",)"
           R"("consumer_disputed":"No","complaint_id":"1","source_file":"golden.csv","source_line":2})")
          .status.ok());
  f.Advance(100 * 24 * kHourMs);  // delays decay
  std::map<std::string, std::string> out;
  for (PartitionId p = 0; p < f.ledger().log().partitions(); ++p) {
    for (auto& r : f.ledger().log().Read(p, 0, SIZE_MAX).value()) {
      const std::string type(PayloadName(*DecodeEvent(r.bytes).value()));
      out.emplace(type, std::move(r.bytes));
    }
  }
  return out;
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("Golden events of every version decode with the current schema", "[golden][schema]") {
  const std::filesystem::path dir = std::filesystem::path(LEDGER_SOURCE_DIR) / "tests/golden/v1";
  if (std::getenv("LEDGER_WRITE_GOLDEN")) {
    std::filesystem::create_directories(dir);
    for (const auto& [type, bytes] : OneOfEach()) {
      // Only new event types: a golden record of an old version is never rewritten.
      if (std::filesystem::exists(dir / (type + ".bin"))) continue;
      std::ofstream(dir / (type + ".bin"), std::ios::binary) << bytes;
    }
  }
  EventJson json;
  size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string bytes = ReadFile(entry.path());
    auto e = DecodeEvent(bytes);
    INFO(entry.path().string());
    REQUIRE(e.ok());
    CHECK(PayloadName(*e.value()) == entry.path().stem().string());
    CHECK(e.value()->schema_version() == 1);
    CHECK(json.Render(bytes).find("\"payload_type\"") != std::string::npos);
    ++seen;
  }
  // Every member of the Payload union has a golden record.
  CHECK(seen == static_cast<size_t>(fb::Payload::MAX));
}

TEST_CASE("One scenario produces every event type", "[golden][schema]") {
  CHECK(OneOfEach().size() == static_cast<size_t>(fb::Payload::MAX));
}

TEST_CASE("A record that names a payload type but holds no payload is refused and the type named",
          "[golden][schema]") {
  flatbuffers::FlatBufferBuilder fbb;
  const std::vector<uint8_t> zeros(32, 0);
  auto prev = fbb.CreateVector(zeros);
  fb::EventBuilder b(fbb);
  b.add_prev_hash(prev);
  b.add_payload_type(fb::Payload::MerchantResponded);  // and no payload table
  fb::FinishEventBuffer(fbb, b.Finish());
  const std::string bytes(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  auto e = DecodeEvent(bytes, 3, 17);
  REQUIRE_FALSE(e.ok());
  CHECK(e.status().code() == Code::kCorruption);
  CHECK(e.status().message() ==
        "partition 3 offset 17: event record names a MerchantResponded payload but holds none");
}
