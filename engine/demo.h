// `ledger demo`: a guided run on a fresh embedded ledger with a manual clock.
#pragma once

#include <string>

namespace ledger {

// Builds the demo ledger in `<data_dir>/demo` (replacing an earlier demo
// there) and prints what happens. On Kafka (`log_uri` kafka://...), the demo
// writes to a topic of its own, `<topic>.demo-<random>`, so it can run again.
// Returns the process exit code.
int RunDemo(const std::string& data_dir, const std::string& log_uri, bool json);

}  // namespace ledger
