// Layer app/import: outside data into the ledger, through the command path
// only (never around the decider), and back out. It must never write the
// log or the views directly.
//
// `ledger import cfpb` and `ledger export cfpb`: the CFPB's public complaint
// database into the ledger, through the command path, and back out in the
// modern 18-column layout. Formats and interpretations: docs/decisions.md
// ("Importing the CFPB database").
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/ledger/service.h"
#include "common/time.h"

namespace ledger {

struct CfpbImportOptions {
  std::vector<std::string> files;
  // When the timekeeper judges what is still open; default: the day after
  // the latest date in the files.
  std::optional<TimeMs> as_of;
  size_t batch = 4096;  // commands per Submit (all of one received date)
  std::function<void(uint64_t done, uint64_t total)> progress;
};

// Reads every file (layout recognised by its header), sorts the rows by date
// received, and submits one ImportCfpbComplaint per row with `clock` set to
// its date; then ticks the ledger to as_of. Each file is read twice (first
// for the rows' dates and places only, then row by row in date order), so it
// must be a regular file that does not change during the import. A row that cannot be read, or is
// older than the ledger's latest event, is rejected (file, line, reason) and
// nothing of it is written. Rows already imported (same command id) are
// counted, not written again. Returns the summary:
// {"rows","imported","already_present","rejected":[{file,line,reason}],
//  "possible_duplicates","as_of","files":[{file,rows,header_line}]}.
// REQUIRES: `ledger` reads `clock`, and runs under the cfpb policy.
Result<nlohmann::json> ImportCfpb(Ledger& ledger, ManualClock& clock,
                                  const CfpbImportOptions& options);

// Writes the imported complaints (of one merchant id if not empty) as CSV in
// the modern 18-column layout, ordered by date received, then source file
// and line. Returns the number of rows.
Result<uint64_t> ExportCfpb(EventLog& log, const std::string& merchant_id, std::ostream& out);

}  // namespace ledger
