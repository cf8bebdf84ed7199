// Fuzz target: the event record verifier and decoder (events/codec.h
// DecodeEvent) and what reads a decoded event: its JSON rendering, its case
// id and payload name, and unpacking it to re-encode it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "app/ledger/command_codec.h"
#include "engine/event_subject.h"
#include "events/codec.h"
#include "replay/event_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ledger::EventJson json;
  const std::string record(reinterpret_cast<const char*>(data), size);  // aligned, like a log read
  (void)ledger::HashRecord(record);
  auto decoded = ledger::DecodeEvent(record);
  if (!decoded.ok()) {
    if (decoded.status().message().empty()) std::abort();
    return 0;
  }
  const ledger::fb::Event& e = *decoded.value();
  (void)ledger::CaseIdOf(e);
  (void)ledger::PayloadName(e);
  (void)json.Render(record);
  (void)json.RenderPayload(record);
  std::unique_ptr<ledger::fb::EventT> unpacked(e.UnPack());
  const std::string again = ledger::EncodeEvent(*unpacked);
  if (!ledger::DecodeEvent(again).ok()) {
    std::fprintf(stderr, "a decoded event re-encodes to a record that does not decode\n");
    std::abort();
  }
  return 0;
}
