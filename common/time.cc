#include "common/time.h"

#include <chrono>
#include <cstdio>

#include <fmt/format.h>

namespace ledger {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kNotFound:
      return "not_found";
    case Code::kRejected:
      return "rejected";
    case Code::kConflict:
      return "conflict";
    case Code::kPermissionDenied:
      return "permission_denied";
    case Code::kCorruption:
      return "corruption";
    case Code::kIoError:
      return "io_error";
    case Code::kUnavailable:
      return "unavailable";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return fmt::format("{}: {}", CodeName(code_), message_);
}

namespace {

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's algorithm.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t y;
  unsigned m, d;
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp + (mp < 10 ? 3 : -9);
  return {y + (m <= 2), m, d};
}

bool ReadDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

unsigned DaysInMonth(int y, int m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

Result<TimeMs> ParseTime(std::string_view s) {
  auto bad = [&] {
    return Status::InvalidArgument(
        fmt::format("'{}' is not a UTC time (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)", s));
  };
  int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
  if (!ReadDigits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !ReadDigits(s, 5, 2, &mo) ||
      s[7] != '-' || !ReadDigits(s, 8, 2, &d)) {
    return bad();
  }
  size_t pos = 10;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == ' ')) {
    if (!ReadDigits(s, pos + 1, 2, &h) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ReadDigits(s, pos + 4, 2, &mi)) {
      return bad();
    }
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!ReadDigits(s, pos + 1, 2, &sec)) return bad();
      pos += 3;
      if (pos < s.size() && s[pos] == '.') {
        if (!ReadDigits(s, pos + 1, 3, &ms)) return bad();
        pos += 4;
      }
    }
    if (pos < s.size() && s[pos] == 'Z') ++pos;
  }
  if (pos != s.size()) return bad();
  if (mo < 1 || mo > 12 || d < 1 || static_cast<unsigned>(d) > DaysInMonth(y, mo) || h > 23 ||
      mi > 59 || sec > 59) {
    return bad();
  }
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return days * kDayMs + h * kHourMs + mi * 60000LL + sec * 1000LL + ms;
}

std::string FormatDate(TimeMs t) {
  const int64_t days = t >= 0 ? t / kDayMs : (t - kDayMs + 1) / kDayMs;
  const Civil c = CivilFromDays(days);
  return fmt::format("{:04}-{:02}-{:02}", c.y, c.m, c.d);
}

std::string FormatTime(TimeMs t) {
  const int64_t days = t >= 0 ? t / kDayMs : (t - kDayMs + 1) / kDayMs;
  const int64_t rem = t - days * kDayMs;
  const int64_t h = rem / kHourMs, mi = rem % kHourMs / 60000, sec = rem % 60000 / 1000,
                ms = rem % 1000;
  if (ms == 0) return fmt::format("{}T{:02}:{:02}:{:02}Z", FormatDate(t), h, mi, sec);
  return fmt::format("{}T{:02}:{:02}:{:02}.{:03}Z", FormatDate(t), h, mi, sec, ms);
}

TimeMs SystemClock::Now() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace ledger
