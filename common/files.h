// Files that must survive a crash, and secrets only their owner may read:
// the one writer behind consumers' keys, the token key and checkpoint keys.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace ledger {

// Creates `path` holding `bytes`, mode 0600, written and fsynced before it
// returns. Never overwrites: Conflict when `path` exists. On any failure
// nothing is left at `path`; the error names it and the system's reason.
Status CreateSecretFile(const std::string& path, std::string_view bytes);

// Syncs directory `dir`, so that a file created, renamed or removed in it
// stays so after a crash.
Status SyncDirectory(const std::string& dir);

}  // namespace ledger
