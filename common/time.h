// Time as the ledger sees it: milliseconds since the Unix epoch, UTC, and the
// one injectable clock. Only the command service and the timekeeper ask a
// Clock; deciders, projections and replay take time as an input.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ledger {

using TimeMs = int64_t;  // ms since 1970-01-01T00:00:00Z

constexpr TimeMs kHourMs = 3600LL * 1000;
constexpr TimeMs kDayMs = 24 * kHourMs;

// Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.mmm]]Z" (also with a space, or
// without the Z: always UTC). Names the text in the error.
Result<TimeMs> ParseTime(std::string_view text);
// "YYYY-MM-DDTHH:MM:SS.mmmZ", or "YYYY-MM-DDTHH:MM:SSZ" when ms are zero.
std::string FormatTime(TimeMs t);
// "YYYY-MM-DD".
std::string FormatDate(TimeMs t);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs Now() const = 0;
};

// The real clock. The only place the program reads wall-clock time.
class SystemClock final : public Clock {
 public:
  TimeMs Now() const override;
};

// A clock that moves only when told. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start) : now_(start) {}
  TimeMs Now() const override { return now_.load(); }
  void Set(TimeMs t) { now_.store(t); }
  void Advance(TimeMs d) { now_.fetch_add(d); }

 private:
  std::atomic<TimeMs> now_;
};

}  // namespace ledger
