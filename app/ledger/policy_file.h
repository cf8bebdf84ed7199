// Policies by name or from a file: the composition root's way to the rules'
// numbers (engine/policy.h parses them; it reads no files).
#pragma once

#include <string>

#include "common/status.h"
#include "engine/policy.h"

namespace ledger {

// The document of a built-in profile by name (`enamad`, `cfpb`), or of a
// JSON file by path.
Result<std::string> PolicyDocument(const std::string& name_or_path);
// The same, parsed; the error names the file and the bad field.
Result<Policy> LoadPolicy(const std::string& name_or_path);

}  // namespace ledger
