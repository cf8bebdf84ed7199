#include <catch2/catch.hpp>

#include "common/time.h"

using namespace ledger;

TEST_CASE("UTC times parse and print in ISO 8601", "[time]") {
  CHECK(ParseTime("1970-01-01").value() == 0);
  CHECK(ParseTime("2026-11-23T10:15:00Z").value() == 1795428900000);
  CHECK(ParseTime("2026-11-23 10:15").value() == 1795428900000);
  CHECK(ParseTime("2024-02-29T23:59:59.250Z").value() % 1000 == 250);
  CHECK(FormatTime(1795428900000) == "2026-11-23T10:15:00Z");
  CHECK(FormatTime(1795428900123) == "2026-11-23T10:15:00.123Z");
  CHECK(FormatDate(ParseTime("2000-03-01").value()) == "2000-03-01");
  for (const char* bad :
       {"2026-02-29", "2026-13-01", "2026-1-1", "yesterday", "2026-11-23T25:00Z", ""}) {
    INFO(bad);
    CHECK(ParseTime(bad).status().code() == Code::kInvalidArgument);
  }
}
