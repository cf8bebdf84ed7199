// Every key of the views, built and parsed here and nowhere else. The layout
// is specified in docs/projections.md and pinned by tests/projections/golden_keys_test.cc:
// changing a byte here changes the views' layout (ViewStore::kFormat) and
// asks for `ledger rebuild`.
//
// Composite keys join their parts with a NUL byte; numbers inside keys are
// 8-byte big-endian (common/coding.h), so keys sort by them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "engine/state.h"
#include "events/event_log.h"

namespace ledger::keys {

// --- index ----------------------------------------------------------------
// "tx/<merchant>\0<ref>\0<terminal>\0<date ms>\0<amount>" -> case id: one
// transaction is complained about once.
std::string Transaction(std::string_view merchant_id, const fb::TransactionT& t);

// "snap/<merchant>\0<time BE><partition BE><offset BE>" -> the merchant's
// state after that event (as-of profiles start from the latest one).
std::string Snapshot(std::string_view merchant_id, TimeMs at, PartitionId p, Offset o);
std::string SnapshotPrefix(std::string_view merchant_id);
// The greatest snapshot key of `merchant_id` at or before `at`.
std::string SnapshotUpperBound(std::string_view merchant_id, TimeMs at);
// The event a snapshot key names. REQUIRES: `key` starts with SnapshotPrefix.
std::optional<Position> SnapshotPosition(std::string_view key, std::string_view merchant_id);

// "st/<status>\0<authority>\0<case id>": open cases by state and authority.
std::string OpenCase(const CaseState& c);
// All open-case keys (empty status) or those of one status.
std::string OpenCasePrefix(std::string_view status);
struct OpenCaseParts {
  std::string status, authority, case_id;
};
std::optional<OpenCaseParts> ParseOpenCase(std::string_view key);

// "trk/<code>" -> case id.
std::string Tracking(std::string_view code);

// First response times, sorted: "rt/<merchant>\0<ms BE>\0<case>" and, over
// all merchants, "rt*/<ms BE>\0<case>".
std::string ResponseTime(std::string_view merchant_id, TimeMs took, std::string_view case_id);
std::string ResponseTimeAll(TimeMs took, std::string_view case_id);
// The prefix of one merchant's keys, or of all (empty id).
std::string ResponseTimePrefix(std::string_view merchant_id);
// The time a key under `prefix` holds.
TimeMs ResponseTimeOf(std::string_view key, std::string_view prefix);

// --- analytics (counters) -------------------------------------------------
// "cnt/<YYYY-MM accepted>\0<category>\0<authority>\0<region>".
std::string Count(const CaseState& c);
inline constexpr std::string_view kCountPrefix = "cnt/";
// month, category, authority, region; nullopt for a key of another shape.
std::optional<std::vector<std::string>> ParseCount(std::string_view key);

// "cfa/<YYYY-MM filed>\0<product>\0<issue>\0<state>\0<channel>\0<company response>".
std::string CfpbCount(const CaseState& c, std::string_view company_response);
inline constexpr std::string_view kCfpbCountPrefix = "cfa/";
// The six parts; nullopt for a key of another shape.
std::optional<std::vector<std::string>> ParseCfpbCount(std::string_view key);

// "mm/<merchant>\0<YYYY-MM>\0<kind>" (complaints, delays, resolved).
std::string Monthly(std::string_view merchant_id, std::string_view month, std::string_view kind);

// --- timers -----------------------------------------------------------------
// <due BE 8><kind 1><merchant>\0<case>\0<window 1>: sorted by due time.
std::string TimerKey(const Timer& t);
std::optional<Timer> ParseTimer(std::string_view key);
// The smallest timer key due at or after `due`.
std::string TimersFrom(TimeMs due);

// --- meta -------------------------------------------------------------------
std::string NextOffset(PartitionId p);                       // "offset/00003" -> next offset (BE)
std::string ChainHead(PartitionId p);                        // "head/00003" -> 32-byte hash
inline constexpr const char* kMaxTime = "max_time";          // latest occurred_at (BE, max-merged)
inline constexpr const char* kViewsFormat = "views_format";  // the layout's version

}  // namespace ledger::keys
