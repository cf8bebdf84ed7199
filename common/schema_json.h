// FlatBuffers' JSON parser and printer, loaded from a binary schema compiled
// into the program (schemas/*.fbs, --bfbs-gen-embed). Strict JSON, one line,
// default scalars printed. Shared by the command codec and the event
// renderer so both read and write JSON the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace flatbuffers {
class Parser;
}

namespace ledger {

// A parser whose root type is `root`. Aborts when the embedded schema does
// not load: that is a build defect, never an input error.
std::unique_ptr<flatbuffers::Parser> MakeSchemaParser(const uint8_t* bfbs, size_t size,
                                                      const char* root);

}  // namespace ledger
