// Reading the CFPB's public complaint database: a strict RFC 4180 reader and
// the recognition of its column layouts by their header. No I/O beyond the
// buffer it is given; no ledger.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"
#include "engine/time.h"

namespace ledger {

// One CSV record and the (1-based) line it starts on.
struct CsvRecord {
  std::vector<std::string> fields;
  uint64_t line = 0;
};

// A strict RFC 4180 reader: fields separated by ',', records by LF or CRLF;
// a field in double quotes may hold commas, quotes (doubled) and line breaks
// (kept as written). A quote inside an unquoted field, text after a closing
// quote, a quoted field never closed, or a record longer than
// `max_record_bytes` is an error naming the line; the reader then resumes at
// the next line. Empty lines are skipped. Borrows `text`.
class CsvReader {
 public:
  static constexpr size_t kMaxRecordBytes = 1 << 20;
  // `first_line`: the line `text` starts on (a slice of a larger file, from
  // offset() and line() of a reader of the whole).
  explicit CsvReader(std::string_view text, size_t max_record_bytes = kMaxRecordBytes,
                     uint64_t first_line = 1)
      : text_(text), max_(max_record_bytes), line_(first_line) {}

  // The next record, std::nullopt at the end, or an error (see above).
  Result<std::optional<CsvRecord>> Next();
  // Where the next call to Next() starts reading: the byte offset in `text`
  // and its line. The bytes from here to offset() after a successful Next()
  // read alone (with this line as first_line) give the same record.
  size_t offset() const { return pos_; }
  uint64_t line() const { return line_; }
  // The line the record of the last error started on.
  uint64_t error_line() const { return error_line_; }

 private:
  Status Fail(uint64_t start_line, std::string why);
  void SkipLine();

  std::string_view text_;
  size_t max_;
  size_t pos_ = 0;
  uint64_t line_ = 1;
  uint64_t error_line_ = 0;
};

// The columns of the CFPB database, in the order of its modern 18-column
// export (the layout `ledger export cfpb` writes).
enum class CfpbColumn : uint8_t {
  kDateReceived, kProduct, kSubProduct, kIssue, kSubIssue, kNarrative, kPublicResponse,
  kCompany, kState, kZip, kTags, kConsent, kSubmittedVia, kDateSent, kCompanyResponse,
  kTimely, kDisputed, kComplaintId,
};
constexpr size_t kCfpbColumns = 18;

// The modern export's header names, in CfpbColumn order.
extern const std::array<const char*, kCfpbColumns> kCfpbHeader;

// Which column each field of a header record is, if the record is a CFPB
// header: every name known (in any of the layouts' spellings: "Date
// received", "date_received", "ZIP code", "zipcode", "Company response",
// ...), none repeated, and "Date received" and "Company" present.
std::optional<std::vector<CfpbColumn>> RecogniseCfpbHeader(const std::vector<std::string>& fields);

// "M/D/YYYY" or "YYYY-MM-DD" (a valid calendar date) as midnight UTC.
Result<TimeMs> ParseCfpbDate(std::string_view text);

// One row read from a file: every column in CfpbColumn order (blank where
// the layout lacks it; dates rewritten as YYYY-MM-DD) and where it came from.
struct CfpbRow {
  std::array<std::string, kCfpbColumns> f;
  TimeMs received = 0;
  TimeMs sent = 0;  // 0: blank
  uint32_t file = 0;
  uint64_t line = 0;
  const std::string& operator[](CfpbColumn c) const { return f[static_cast<size_t>(c)]; }
  std::string& operator[](CfpbColumn c) { return f[static_cast<size_t>(c)]; }
};

// A data record of a file whose header gave `columns`, as a row; an error
// says why it cannot be read (field count, date, blank company, bad UTF-8).
Result<CfpbRow> CfpbRowFrom(const CsvRecord& record, const std::vector<CfpbColumn>& columns);

// The merchant id of a company: a slug of its name and 8 hex digits of
// BLAKE2b of the exact name ("bank-of-america-1a2b3c4d"). Stable.
std::string CfpbMerchantId(std::string_view company);

// A field quoted for CSV when it needs to be.
std::string CsvQuote(std::string_view s);

}  // namespace ledger
