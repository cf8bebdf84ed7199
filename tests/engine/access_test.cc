// The read rules (engine/access.h), without a ledger.
#include <flatbuffers/flatbuffers.h>

#include <catch2/catch.hpp>

#include "engine/access.h"
#include "tests/engine/builders.h"

using namespace ledger;
using namespace ledger::test;

namespace {

// An event of merchant `merchant`'s partition, as the log holds it.
std::string EventOf(const std::string& merchant) {
  fb::EventT e;
  e.event_id = "cmd-1/0";
  e.partition_key = merchant;
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(fb::Event::Pack(fbb, &e));
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

}  // namespace

TEST_CASE("a case is read by the operator and its parties only", "[engine][access]") {
  const CaseState c = AwaitingResponse(1, Start() + 72 * H);
  CHECK(MayReadCase(fb::Role::operator_, "centre", c));
  CHECK(MayReadCase(fb::Role::consumer, "u-1", c));
  CHECK(MayReadCase(fb::Role::merchant, "m1", c));
  CHECK(MayReadCase(fb::Role::authority, "online_business_union", c));
  CHECK_FALSE(MayReadCase(fb::Role::consumer, "u-2", c));
  CHECK_FALSE(MayReadCase(fb::Role::merchant, "m2", c));
  CHECK_FALSE(MayReadCase(fb::Role::authority, "police", c));
}

TEST_CASE("a merchant reads its own stream of events, a consumer only its cases'",
          "[engine][access]") {
  const std::string bytes = EventOf("m1");
  const fb::Event& e = *fb::GetEvent(bytes.data());
  const CaseState c = AwaitingResponse(1, Start() + 72 * H);
  CHECK(MayReadEvent(fb::Role::operator_, "centre", e, nullptr));
  CHECK(MayReadEvent(fb::Role::merchant, "m1", e, nullptr));
  CHECK_FALSE(MayReadEvent(fb::Role::merchant, "m2", e, &c));
  CHECK(MayReadEvent(fb::Role::consumer, "u-1", e, &c));
  CHECK_FALSE(MayReadEvent(fb::Role::consumer, "u-2", e, &c));
  CHECK_FALSE(MayReadEvent(fb::Role::consumer, "u-1", e, nullptr));
}

TEST_CASE("names and phones are the operator's, overviews the centre's and authorities'",
          "[engine][access]") {
  CHECK(MaySeePersonalData(fb::Role::operator_));
  CHECK_FALSE(MaySeePersonalData(fb::Role::authority));
  CHECK_FALSE(MaySeePersonalData(fb::Role::merchant));
  const auto& rankings = RolesThatMayRead(Overview::kRankings);
  CHECK(rankings == std::vector<fb::Role>{fb::Role::operator_, fb::Role::authority});
  CHECK(RolesThatMayRead(Overview::kMetrics) == std::vector<fb::Role>{fb::Role::operator_});
}
