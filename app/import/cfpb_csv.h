// Reading the CFPB's public complaint database: the recognition of its
// column layouts by their header, and its rows (read by common/csv.h). No I/O beyond the
// buffer it is given; no ledger.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/csv.h"
#include "common/status.h"
#include "common/time.h"

namespace ledger {

// The columns of the CFPB database, in the order of its modern 18-column
// export (the layout `ledger export cfpb` writes).
enum class CfpbColumn : uint8_t {
  kDateReceived,
  kProduct,
  kSubProduct,
  kIssue,
  kSubIssue,
  kNarrative,
  kPublicResponse,
  kCompany,
  kState,
  kZip,
  kTags,
  kConsent,
  kSubmittedVia,
  kDateSent,
  kCompanyResponse,
  kTimely,
  kDisputed,
  kComplaintId,
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

}  // namespace ledger
