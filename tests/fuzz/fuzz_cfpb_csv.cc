// Fuzz target: the CFPB CSV reader (app/import/cfpb_csv.h): records, header
// recognition, rows and dates. Every record it reads must survive CsvQuote
// and a second read unchanged.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/import/cfpb_csv.h"
#include "common/csv.h"

namespace {

// The record quoted and joined as one CSV line, then read back.
void CheckRoundTrip(const ledger::CsvRecord& r) {
  std::string line;
  for (size_t i = 0; i < r.fields.size(); ++i)
    line += (i ? "," : "") + ledger::CsvQuote(r.fields[i]);
  line += "\n";
  ledger::CsvReader again(line);
  auto back = again.Next();
  // A record of one empty field is an empty line, which the reader skips.
  if (r.fields.size() == 1 && r.fields[0].empty()) return;
  if (!back.ok() || !back.value().has_value() || back.value()->fields != r.fields) {
    std::fprintf(stderr, "CsvQuote does not round-trip a record of line %llu\n",
                 static_cast<unsigned long long>(r.line));
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ledger::CsvReader reader(text, 4096);
  std::optional<std::vector<ledger::CfpbColumn>> columns;
  for (int records = 0; records < 10000; ++records) {
    auto r = reader.Next();
    if (!r.ok()) {
      if (r.status().message().empty() || reader.error_line() == 0) std::abort();
      continue;
    }
    if (!r.value().has_value()) break;
    const ledger::CsvRecord& rec = *r.value();
    CheckRoundTrip(rec);
    if (!columns) {
      columns = ledger::RecogniseCfpbHeader(rec.fields);
      continue;
    }
    auto row = ledger::CfpbRowFrom(rec, *columns);
    if (row.ok()) (void)ledger::CfpbMerchantId(row.value()[ledger::CfpbColumn::kCompany]);
    for (const auto& f : rec.fields) (void)ledger::ParseCfpbDate(f);
  }
  return 0;
}
