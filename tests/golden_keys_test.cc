// The bytes of every view key, written down once. The views on disk are
// keyed this way (docs/projections.md); a change here is a change of the
// views' layout (meta views_format) and asks for `ledger rebuild`.
#include <string>

#include <catch2/catch.hpp>

#include "engine/state.h"
#include "projections/projector.h"
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
  CHECK(Projector::TransactionKey("m-1", t) == "tx/m-1\0R-88\0T-1\0" "1761955200000\0" "1500000"s);

  CHECK(Projector::SnapshotKey("m-1", 0x0102030405060708, 5, 0x1234) ==
        "snap/m-1\0"
        "\x01\x02\x03\x04\x05\x06\x07\x08"
        "\x00\x00\x00\x00\x00\x00\x00\x05"
        "\x00\x00\x00\x00\x00\x00\x12\x34"s);

  const CaseState c = SampleCase();
  CHECK(Projector::OpenCaseKey(c) == "st/awaiting_response\0police\0C-1"s);
  CHECK(Projector::CountKey(c) == "cnt/2025-12\0non_delivery\0police\0Tehran"s);
  CHECK(Projector::CfpbCountKey(c, "Closed with explanation") ==
        "cfa/2025-11\0Mortgage\0Escrow\0CA\0Web\0Closed with explanation"s);
  CHECK(Projector::TrackingKey("91488-A1Z2Q") == "trk/91488-A1Z2Q"s);
  CHECK(Projector::MonthlyKey("m-1", "2025-12", "delays") == "mm/m-1\0" "2025-12\0delays"s);

  const Timer timer{0x0102030405060708, TimerKind::kDelayDecay, "m-1", "C-1", 2};
  const std::string timer_key = "\x01\x02\x03\x04\x05\x06\x07\x08\x04m-1\0C-1\0\x02"s;
  CHECK(timer.Key() == timer_key);
  const auto parsed = Timer::FromKey(timer_key);
  REQUIRE(parsed);
  CHECK(*parsed == timer);

  CHECK(ViewStore::OffsetKey(3) == "offset/00003");
  CHECK(ViewStore::HeadKey(3) == "head/00003");
  CHECK(std::string(ViewStore::kFormatKey) == "views_format");
  CHECK(EncodeU64(0x0102030405060708) == "\x01\x02\x03\x04\x05\x06\x07\x08"s);
  CHECK(DecodeU64("\x01\x02\x03\x04\x05\x06\x07\x08"s) == 0x0102030405060708);
}
