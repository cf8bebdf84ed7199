// Fuzz target: the command JSON parser (CommandCodec, what Ledger::SubmitJson
// and `ledger submit` use). A parsed envelope must render back to JSON that
// parses to the same digest.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "app/ledger/command_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ledger::CommandCodec codec;
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  auto parsed = codec.ParseEnvelope(json);
  if (!parsed.ok()) {
    if (parsed.status().message().empty()) std::abort();  // every refusal says why
    return 0;
  }
  const std::string again = codec.ToJson(parsed.value());
  auto reparsed = codec.ParseEnvelope(again);
  if (!reparsed.ok() || reparsed.value().digest != parsed.value().digest) {
    std::fprintf(stderr, "round trip changed the command: %s\n", again.c_str());
    std::abort();
  }
  return 0;
}
