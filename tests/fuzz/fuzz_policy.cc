// Fuzz target: the policy file parser (engine/policy.h ParsePolicy). An
// accepted policy must route every category somewhere.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto policy = ledger::ParsePolicy(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!policy.ok()) {
    if (policy.status().message().empty()) std::abort();
    return 0;
  }
  const ledger::Policy& p = policy.value();
  for (auto c : ledger::fb::EnumValuesCategory()) {
    (void)p.RouteFor(c, "retail", "tehran");
  }
  (void)ledger::Policy::CeilDays(p.delay_decay);
  return 0;
}
