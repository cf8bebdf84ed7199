// The one renderer of events as public JSON (one line, strict JSON): the
// audit timeline, exports, the CLI and the HTTP service all show events
// through it, so an event reads the same everywhere.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "engine/personal_data.h"

namespace flatbuffers {
class Parser;
}

namespace ledger {

// Thread-safe. A ComplaintFiled's sealed personal data never appears:
// without `keys` it is left out; with them the name and phone are shown
// opened, or as erased (engine/personal_data.h RevealPersonalData).
class EventJson {
 public:
  explicit EventJson(const ConsumerKeys* keys = nullptr);
  ~EventJson();
  // REQUIRES: `record` is a verified event record (DecodeEvent).
  std::string Render(std::string_view record) const;
  // Only the payload table, e.g. {"case_id": "c1", "window": 1, ...}.
  std::string RenderPayload(std::string_view record) const;

 private:
  mutable std::mutex mu_;
  std::unique_ptr<flatbuffers::Parser> parser_;
  const ConsumerKeys* keys_;
};

}  // namespace ledger
