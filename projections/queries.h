// Queries for analysts over the views: rankings, open cases, complaint
// analytics and response times. Read-only; results are JSON arrays/objects.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/time.h"
#include "projections/store.h"

namespace ledger {

// Merchants ranked by an indicator, highest first (ties by id). Indicators:
// unanswered, unresolved, delays (active), violations (all levels),
// complaints, open_complaints, delays_total, resolved.
Result<nlohmann::json> RankMerchants(const ViewStore& views, const std::string& indicator,
                                     size_t limit, TimeMs now);

// Open cases counted by state and authority, optionally filtered; with
// `list`, the case ids too (at most `limit`).
Result<nlohmann::json> OpenCases(const ViewStore& views, const std::string& status,
                                 const std::string& authority, bool list, size_t limit);

// Every merchant: merchant_id, merchant (name), complaints, open, the CFPB's
// published timely / untimely / disputed counts, delays, unanswered,
// unresolved, status.
Result<nlohmann::json> MerchantSummaries(const ViewStore& views);

// Accepted complaints counted by the chosen dimensions (month, category,
// authority, region), optionally within months [from_month, to_month] ("YYYY-MM").
// Dimensions that are all among month, product, issue, state, channel and
// company_response (not month alone) count the imported CFPB complaints by
// their source fields (month received).
Result<nlohmann::json> ComplaintAnalytics(const ViewStore& views,
                                          const std::vector<std::string>& by,
                                          const std::string& from_month,
                                          const std::string& to_month);

// First-response times (hours) of a merchant, or of all when empty:
// count, p50, p90, p99, max.
Result<nlohmann::json> ResponseTimes(const ViewStore& views, const std::string& merchant_id);

// A merchant's last `months` calendar months up to and including the month of
// `until`, oldest first: complaints accepted, delays recorded and cases
// resolved in each ({"month": "YYYY-MM", ...}). Months without events are zeros.
Result<nlohmann::json> MerchantMonths(const ViewStore& views, const std::string& merchant_id,
                                      TimeMs until, int months);

// The case a public tracking code names, if any.
Result<std::optional<std::string>> CaseForTrackingCode(const ViewStore& views,
                                                       const std::string& code);

}  // namespace ledger
