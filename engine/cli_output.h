// How the `ledger` command prints: JSON (one object per line) or tables for
// people.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "replay/history.h"

namespace ledger {

enum class OutputFormat { kJson, kTable };

// One command's outcome: the result object, or "error" with "code".
void PrintOutcome(const nlohmann::json& result, bool ok, OutputFormat format);
// A flat object as "key  value" lines (nested objects as "key.sub").
void PrintObject(const nlohmann::json& object, OutputFormat format);
void PrintTimeline(const std::vector<TimelineEntry>& entries, OutputFormat format);

}  // namespace ledger
