#include "replay/event_json.h"

#include <flatbuffers/idl.h>
#include <nlohmann/json.hpp>

#include "common/schema_json.h"
#include "events_bfbs_generated.h"

namespace ledger {

EventJson::EventJson(const ConsumerKeys* keys)
    : parser_(
          MakeSchemaParser(fb::EventBinarySchema::data(), fb::EventBinarySchema::size(), "Event")),
      keys_(keys) {}
EventJson::~EventJson() = default;

std::string EventJson::Render(std::string_view record) const {
  std::string out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    flatbuffers::GenerateText(*parser_, record.data(), &out);
  }
  const auto* e = fb::GetEvent(record.data());
  const auto* filed = e->payload_as_ComplaintFiled();
  if (filed == nullptr ||
      (filed->consumer_name_sealed() == nullptr && filed->consumer_phone_sealed() == nullptr)) {
    return out;
  }
  auto j = nlohmann::json::parse(out);
  RevealPersonalDataInEvent(j, keys_);
  return j.dump();
}

std::string EventJson::RenderPayload(std::string_view record) const {
  const std::string whole = Render(record);
  auto j = nlohmann::json::parse(whole, nullptr, false);
  if (j.is_discarded() || !j.contains("payload")) return "{}";
  return j["payload"].dump();
}

}  // namespace ledger
