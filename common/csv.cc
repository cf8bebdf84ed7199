#include "common/csv.h"

#include <algorithm>

#include <fmt/format.h>

namespace ledger {

Status CsvReader::Fail(uint64_t start_line, std::string why) {
  error_line_ = start_line;
  SkipLine();
  return Status::InvalidArgument(fmt::format("line {}: {}", start_line, why));
}

void CsvReader::SkipLine() {
  const size_t nl = text_.find('\n', pos_);
  pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
  ++line_;
}

Result<std::optional<CsvRecord>> CsvReader::Next() {
  // Skip empty lines.
  while (pos_ < text_.size() &&
         (text_[pos_] == '\n' ||
          (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n'))) {
    pos_ += text_[pos_] == '\r' ? 2 : 1;
    ++line_;
  }
  if (pos_ >= text_.size()) return std::optional<CsvRecord>();
  CsvRecord rec;
  rec.line = line_;
  const size_t record_start = pos_;
  std::string field;
  while (true) {
    if (pos_ - record_start > max_) {
      return Fail(rec.line, fmt::format("record longer than {} bytes", max_));
    }
    if (pos_ < text_.size() && text_[pos_] == '"') {
      // Quoted field.
      const uint64_t quote_line = line_;
      ++pos_;
      while (true) {
        const size_t q = text_.find('"', pos_);
        if (q == std::string_view::npos || q - record_start > max_) {
          if (q == std::string_view::npos) {
            pos_ = text_.size();
            error_line_ = rec.line;
            return Status::InvalidArgument(fmt::format(
                "line {}: a quoted field opened on line {} is never closed", rec.line, quote_line));
          }
          pos_ = q;
          return Fail(rec.line, fmt::format("record longer than {} bytes", max_));
        }
        const std::string_view chunk = text_.substr(pos_, q - pos_);
        line_ += static_cast<uint64_t>(std::count(chunk.begin(), chunk.end(), '\n'));
        field.append(chunk);
        pos_ = q + 1;
        if (pos_ < text_.size() && text_[pos_] == '"') {
          field.push_back('"');
          ++pos_;
          continue;
        }
        break;
      }
      if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' &&
          !(text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n')) {
        return Fail(rec.line,
                    fmt::format("text after the closing quote of field {}", rec.fields.size() + 1));
      }
    } else {
      const size_t end = text_.find_first_of(",\n\"", pos_);
      const size_t stop = end == std::string_view::npos ? text_.size() : end;
      if (stop - record_start > max_) {
        pos_ = stop;
        return Fail(rec.line, fmt::format("record longer than {} bytes", max_));
      }
      if (stop < text_.size() && text_[stop] == '"') {
        pos_ = stop;
        return Fail(rec.line,
                    fmt::format("a quote inside unquoted field {}", rec.fields.size() + 1));
      }
      field.assign(text_.substr(pos_, stop - pos_));
      pos_ = stop;
      if ((pos_ >= text_.size() || text_[pos_] == '\n') && !field.empty() && field.back() == '\r') {
        field.pop_back();  // CRLF
      }
    }
    rec.fields.push_back(std::move(field));
    field.clear();
    if (pos_ >= text_.size()) break;
    if (text_[pos_] == ',') {
      ++pos_;
      continue;
    }
    if (text_[pos_] == '\r') ++pos_;
    ++pos_;  // '\n'
    ++line_;
    break;
  }
  return std::optional<CsvRecord>(std::move(rec));
}

std::string CsvQuote(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace ledger
