// The views users read: stored forms of case and merchant state, and their
// JSON renderings (the public merchant indicators, a case's summary).
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/state.h"

namespace ledger {

std::string EncodeCaseState(const CaseState& c);
std::string EncodeMerchantState(const MerchantState& m);
Result<std::unique_ptr<CaseState>> DecodeCaseState(std::string_view bytes);
Result<std::unique_ptr<MerchantState>> DecodeMerchantState(std::string_view bytes);

// A case as users see it. Times are ISO 8601 UTC.
nlohmann::json CaseJson(const CaseState& c);
// The public profile of a merchant as of `as_of` (which sets "days since
// licence"): unanswered, unresolved, active delays, violations by level,
// star level, status.
nlohmann::json MerchantJson(const MerchantState& m, TimeMs as_of);

}  // namespace ledger
