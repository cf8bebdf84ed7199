// Consumers' personal data (name, phone): validated on filing, sealed with a
// per-consumer key before it reaches the log, opened on read by those allowed
// to see it, and made unreadable everywhere at once by destroying the key.
// The keys live outside the log (embedded or Kafka), behind ConsumerKeys. Format and choices:
// docs/log-format.md, docs/decisions.md, RELIABILITY.md.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/decide.h"

namespace ledger {

constexpr size_t kMaxConsumerNameBytes = 200;

// Pure. Ok when both are empty (the fields are optional). A name must be
// UTF-8 of at most 200 bytes without control characters; a phone "+"
// (optional), then 7..15 digits with single spaces or "-" between them.
Status ValidatePersonalData(std::string_view name, std::string_view phone);

using ConsumerKey = std::array<uint8_t, 32>;

// Where consumers' keys are kept (app/ledger/key_store.h keeps them in
// files). The rules only ask for a key and learn whether one was erased;
// how keys are stored is not theirs to know.
class ConsumerKeys {
 public:
  virtual ~ConsumerKeys() = default;
  // The consumer's key, created (durably) when it has none.
  virtual Result<ConsumerKey> GetOrCreate(std::string_view consumer_id) = 0;
  // The consumer's key; nullopt when it has none (never created, or erased).
  virtual Result<std::optional<ConsumerKey>> Find(std::string_view consumer_id) const = 0;
  // Whether an erasure was recorded for this consumer.
  virtual bool WasErased(std::string_view consumer_id) const = 0;
};

// XChaCha20-Poly1305 (IETF): 24-byte random nonce ‖ ciphertext ‖ 16-byte tag;
// associated data = consumer_id ‖ 0x00 ‖ field.
std::vector<uint8_t> Seal(const ConsumerKey& key, std::string_view consumer_id,
                          std::string_view field, std::string_view plaintext);
// nullopt when the bytes were not sealed with this key for this consumer and field.
std::optional<std::string> Unseal(const ConsumerKey& key, std::string_view consumer_id,
                                  std::string_view field, const std::vector<uint8_t>& sealed);

// For a FileComplaint with a name or phone: gets the consumer's key (created
// durably if new) and puts the sealed fields into the ComplaintFiled draft.
// Fails when personal data is given and `keys` is null.
Status SealPersonalData(const fb::CommandEnvelope& cmd, std::vector<Draft>& drafts,
                        ConsumerKeys* keys);

// Adds the personal data of a filing to `out`. Nothing when none was filed
// (both sealed fields empty) or when `keys` is null (the reader may not see
// it). Otherwise "consumer_name", "consumer_phone" (null when not given) and
// "personal_data": "present", or both null and "personal_data": "erased"
// when the key is gone.
void RevealPersonalData(nlohmann::json& out, const std::string& consumer_id,
                        const std::vector<uint8_t>& name_sealed,
                        const std::vector<uint8_t>& phone_sealed, const ConsumerKeys* keys);

// Event JSON (as EventJson renders it): drops the sealed fields of a
// ComplaintFiled payload and, with `keys`, adds what RevealPersonalData adds.
void RevealPersonalDataInEvent(nlohmann::json& event, const ConsumerKeys* keys);

}  // namespace ledger
