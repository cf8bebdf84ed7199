// `ledger demo`: a guided run on a fresh embedded ledger with a manual clock.
#pragma once

#include <string>

namespace ledger {

// Builds the demo ledger in `<data_dir>/demo` (replacing an earlier demo
// there) and prints what happens. On Kafka (`log_uri` kafka://...), the demo
// writes to a topic of its own, `<topic>.demo-<random>`, so it can run again.
// Then, unless `months` is 0, simulates that many months at eNamad scale in
// `<data_dir>/demo-year`, verifies the log, and prints the worst merchants and
// the top problem category of each month. Returns the process exit code.
int RunDemo(const std::string& data_dir, const std::string& log_uri, bool json, uint32_t months);

}  // namespace ledger
