// The bytes of every view key, written down once. The views on disk are
// keyed this way (docs/projections.md); a change here is a change of the
// views' layout (meta views_format) and asks for `ledger rebuild`.
#include <string>

#include <catch2/catch.hpp>

#include "common/coding.h"
#include "engine/state.h"
#include "projections/keys.h"
#include "projections/store.h"

using namespace ledger;
using namespace std::string_literals;

namespace {

CaseState SampleCase() {
  CaseState c;
  c.case_id = "C-1";
  c.merchant_id = "m-1";
  c.status = fb::CaseStatus::awaiting_response;
  c.authority = "police";
  c.category = fb::Category::non_delivery;
  c.region = "Tehran";
  c.accepted_at_ms = 1764547200000;  // 2025-12-01T00:00:00Z
  c.filed_at_ms = 1761955200000;     // 2025-11-01T00:00:00Z
  c.cfpb_product = "Mortgage";
  c.cfpb_issue = "Escrow";
  c.cfpb_state = "CA";
  c.cfpb_channel = "Web";
  return c;
}

}  // namespace

TEST_CASE("every view key keeps its bytes", "[golden][keys]") {
  fb::TransactionT t;
  t.reference_number = "R-88";
  t.terminal = "T-1";
  t.purchase_date_ms = 1761955200000;
  t.amount = 1500000;
  CHECK(keys::Transaction("m-1", t) ==
        "tx/m-1\0R-88\0T-1\0"
        "1761955200000\0"
        "1500000"s);

  CHECK(keys::Snapshot("m-1", 0x0102030405060708, 5, 0x1234) ==
        "snap/m-1\0"
        "\x01\x02\x03\x04\x05\x06\x07\x08"
        "\x00\x00\x00\x00\x00\x00\x00\x05"
        "\x00\x00\x00\x00\x00\x00\x12\x34"s);

  const CaseState c = SampleCase();
  CHECK(keys::OpenCase(c) == "st/awaiting_response\0police\0C-1"s);
  CHECK(keys::Count(c) == "cnt/2025-12\0non_delivery\0police\0Tehran"s);
  CHECK(keys::CfpbCount(c, "Closed with explanation") ==
        "cfa/2025-11\0Mortgage\0Escrow\0CA\0Web\0Closed with explanation"s);
  CHECK(keys::Tracking("91488-A1Z2Q") == "trk/91488-A1Z2Q"s);
  CHECK(keys::Monthly("m-1", "2025-12", "delays") ==
        "mm/m-1\0"
        "2025-12\0delays"s);

  const Timer timer{0x0102030405060708, TimerKind::kDelayDecay, "m-1", "C-1", 2};
  const std::string timer_key = "\x01\x02\x03\x04\x05\x06\x07\x08\x04m-1\0C-1\0\x02"s;
  CHECK(keys::TimerKey(timer) == timer_key);
  const auto parsed = keys::ParseTimer(timer_key);
  REQUIRE(parsed);
  CHECK(*parsed == timer);

  CHECK(keys::NextOffset(3) == "offset/00003");
  CHECK(keys::ChainHead(3) == "head/00003");
  CHECK(std::string(ViewStore::kFormatKey) == "views_format");
  CHECK(std::string(keys::kMaxTime) == "max_time");
  CHECK(EncodeU64(0x0102030405060708) == "\x01\x02\x03\x04\x05\x06\x07\x08"s);
  CHECK(DecodeU64("\x01\x02\x03\x04\x05\x06\x07\x08"s) == 0x0102030405060708);

  // First response times, written inline by the projector before the codec.
  CHECK(keys::ResponseTime("m-1", 0x0102, "C-1") ==
        "rt/m-1\0\x00\x00\x00\x00\x00\x00\x01\x02\0C-1"s);
  CHECK(keys::ResponseTimeAll(0x0102, "C-1") == "rt*/\x00\x00\x00\x00\x00\x00\x01\x02\0C-1"s);
  CHECK(keys::TimersFrom(0x0102030405060708) == "\x01\x02\x03\x04\x05\x06\x07\x08"s);
}

TEST_CASE("keys parse back into the parts they were built from", "[golden][keys]") {
  const CaseState c = SampleCase();
  const auto open = keys::ParseOpenCase(keys::OpenCase(c));
  REQUIRE(open);
  CHECK(open->status == "awaiting_response");
  CHECK(open->authority == "police");
  CHECK(open->case_id == "C-1");
  CHECK(keys::ParseCount(keys::Count(c)) ==
        std::vector<std::string>{"2025-12", "non_delivery", "police", "Tehran"});
  CHECK(keys::ParseCfpbCount(keys::CfpbCount(c, "Closed")) ==
        std::vector<std::string>{"2025-11", "Mortgage", "Escrow", "CA", "Web", "Closed"});
  const std::string prefix = keys::ResponseTimePrefix("m-1");
  CHECK(keys::ResponseTimeOf(keys::ResponseTime("m-1", 5 * kHourMs, "C-1"), prefix) == 5 * kHourMs);
  CHECK(keys::ResponseTimeOf(keys::ResponseTimeAll(7, "C-1"), keys::ResponseTimePrefix("")) == 7);
  const auto at = keys::SnapshotPosition(keys::Snapshot("m-1", 99, 4, 1234), "m-1");
  REQUIRE(at);
  CHECK(at->partition == 4);
  CHECK(at->offset == 1234);
  CHECK(keys::Snapshot("m-1", 99, 4, 1234) <= keys::SnapshotUpperBound("m-1", 99));
  CHECK(keys::Snapshot("m-1", 100, 0, 0) > keys::SnapshotUpperBound("m-1", 99));
  CHECK_FALSE(keys::ParseOpenCase("st/only-two\0parts"s));
  CHECK_FALSE(keys::ParseCount("cnt/2025-12\0x"s));
  CHECK_FALSE(keys::ParseTimer("short"));
}
