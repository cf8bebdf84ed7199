// Comma-separated values (RFC 4180): a strict reader and the quoting of a
// field. No I/O beyond the buffer it is given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

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

// A field quoted for CSV when it needs to be.
std::string CsvQuote(std::string_view s);

}  // namespace ledger
