// JSON in and out through FlatBuffers' own parser and printer, driven by the
// binary schemas compiled into the program. Unknown fields, wrong types,
// missing required fields and malformed JSON are refused here, before any
// rule runs, with the parser's line and column.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "commands_generated.h"
#include "common/status.h"

namespace flatbuffers {
class Parser;
}

namespace ledger {

// A parsed command: the CommandEnvelope's bytes and a digest of its canonical
// form (same command, same digest, whatever the key order or spacing).
struct ParsedCommand {
  std::string bytes;
  std::string digest;  // 16 bytes
  const fb::CommandEnvelope* envelope() const { return fb::GetCommandEnvelope(bytes.data()); }
};

// Thread-safe.
class CommandCodec {
 public:
  CommandCodec();
  ~CommandCodec();

  // A whole envelope: {"id": ..., "actor": {"role": ..., "id": ...},
  //                    "command_type": "FileComplaint", "command": {...}}
  Result<ParsedCommand> ParseEnvelope(std::string_view json) const;
  // Just the body of a command of `type`; the envelope is made from the rest.
  Result<ParsedCommand> ParseBody(fb::Command type, std::string_view body_json,
                                  const std::string& id, fb::Role role,
                                  const std::string& actor_id) const;
  // A parsed command rendered back as JSON, every field it holds included
  // (an empty string too: parsing the text again gives the same digest).
  std::string ToJson(const ParsedCommand& cmd) const;

 private:
  mutable std::mutex mu_;
  std::unique_ptr<flatbuffers::Parser> parser_;
};

// Quotes a string as a JSON string literal.
std::string JsonQuote(std::string_view s);

}  // namespace ledger
