// `ledger demo`: a guided run on a fresh embedded ledger with a manual clock.
#pragma once

#include <string>

namespace ledger {

// Builds the demo ledger in `<data_dir>/demo` (replacing an earlier demo
// there) and prints what happens. Returns the process exit code.
int RunDemo(const std::string& data_dir, bool json);

}  // namespace ledger
