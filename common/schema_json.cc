#include "common/schema_json.h"

#include <cstdlib>

#include <flatbuffers/idl.h>
#include <fmt/format.h>

namespace ledger {

std::unique_ptr<flatbuffers::Parser> MakeSchemaParser(const uint8_t* bfbs, size_t size,
                                                      const char* root) {
  flatbuffers::IDLOptions opts;
  opts.strict_json = true;
  opts.indent_step = -1;
  opts.output_default_scalars_in_json = true;
  auto p = std::make_unique<flatbuffers::Parser>(opts);
  if (!p->Deserialize(bfbs, size) || !p->SetRootType(root)) {
    // The schema is compiled in; failing here is a build defect.
    fmt::print(stderr, "fatal: embedded schema for {} does not load: {}\n", root, p->error_);
    std::abort();
  }
  return p;
}

}  // namespace ledger
