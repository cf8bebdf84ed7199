#include "app/ledger/policy_file.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace ledger {

Result<std::string> PolicyDocument(const std::string& name_or_path) {
  if (auto builtin = BuiltinPolicyText(name_or_path)) return std::string(*builtin);
  std::ifstream in(name_or_path);
  if (!in)
    return Status::NotFound(fmt::format("policy '{}': cannot read {}", name_or_path, name_or_path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<Policy> LoadPolicy(const std::string& name_or_path) {
  LEDGER_ASSIGN_OR_RETURN(std::string text, PolicyDocument(name_or_path));
  auto p = ParsePolicy(text);
  if (!p.ok() && !BuiltinPolicyText(name_or_path)) {
    return Status::InvalidArgument(fmt::format("{}: {}", name_or_path, p.status().message()));
  }
  return p;
}

}  // namespace ledger
