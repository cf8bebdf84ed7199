// Consumers' personal data (name, phone): validated on filing, sealed with a
// per-consumer key before it reaches the log, opened on read by those allowed
// to see it, and made unreadable everywhere at once by destroying the key.
// The keys live in a KeyStore under the ledger's data directory, never in the
// log (embedded or Kafka). Format and choices: docs/log-format.md,
// docs/decisions.md, RELIABILITY.md.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/decide.h"
#include "engine/status.h"

namespace ledger {

constexpr size_t kMaxConsumerNameBytes = 200;

// Pure. Ok when both are empty (the fields are optional). A name must be
// UTF-8 of at most 200 bytes without control characters; a phone "+"
// (optional), then 7..15 digits with single spaces or "-" between them.
Status ValidatePersonalData(std::string_view name, std::string_view phone);

using ConsumerKey = std::array<uint8_t, 32>;

// One 256-bit key per consumer, one file per key: DIR/<hex BLAKE2b-128 of the
// consumer id>.key (0600, in a 0700 directory). A key is written to a new
// file, fsynced, renamed into place and the directory fsynced before
// GetOrCreate returns. Erase overwrites the key's bytes with zeros, fsyncs,
// unlinks and leaves DIR/<hash>.erased. Thread-safe; several processes may
// share a directory (creation is atomic by rename with O_EXCL on the name).
class KeyStore {
 public:
  // Creates DIR (mode 0700) if missing.
  static Result<std::unique_ptr<KeyStore>> Open(const std::string& dir);

  // The consumer's key, created (durably) when it has none.
  Result<ConsumerKey> GetOrCreate(std::string_view consumer_id);
  // The consumer's key; nullopt when it has none (never created, or erased).
  Result<std::optional<ConsumerKey>> Find(std::string_view consumer_id) const;
  // Whether an erasure was recorded for this consumer.
  bool WasErased(std::string_view consumer_id) const;

  enum class Erased { kNow, kAlready };
  // Destroys the consumer's key. NotFound when it never had one.
  Result<Erased> Erase(std::string_view consumer_id);

  // DIR/<hash>.key (whether or not it exists).
  std::string KeyPath(std::string_view consumer_id) const;
  const std::string& dir() const { return dir_; }

 private:
  explicit KeyStore(std::string dir) : dir_(std::move(dir)) {}
  std::string Base(std::string_view consumer_id) const;
  std::string dir_;
};

// XChaCha20-Poly1305 (IETF): 24-byte random nonce ‖ ciphertext ‖ 16-byte tag;
// associated data = consumer_id ‖ 0x00 ‖ field.
std::vector<uint8_t> Seal(const ConsumerKey& key, std::string_view consumer_id, std::string_view field,
                          std::string_view plaintext);
// nullopt when the bytes were not sealed with this key for this consumer and field.
std::optional<std::string> Unseal(const ConsumerKey& key, std::string_view consumer_id,
                                  std::string_view field, const std::vector<uint8_t>& sealed);

// For a FileComplaint with a name or phone: gets the consumer's key (created
// durably if new) and puts the sealed fields into the ComplaintFiled draft.
// Fails when personal data is given and `keys` is null.
Status SealPersonalData(const fb::CommandEnvelope& cmd, std::vector<Draft>& drafts, KeyStore* keys);

// Adds the personal data of a filing to `out`. Nothing when none was filed
// (both sealed fields empty) or when `keys` is null (the reader may not see
// it). Otherwise "consumer_name", "consumer_phone" (null when not given) and
// "personal_data": "present", or both null and "personal_data": "erased"
// when the key is gone.
void RevealPersonalData(nlohmann::json& out, const std::string& consumer_id,
                        const std::vector<uint8_t>& name_sealed, const std::vector<uint8_t>& phone_sealed,
                        const KeyStore* keys);

// Event JSON (as EventJson renders it): drops the sealed fields of a
// ComplaintFiled payload and, with `keys`, adds what RevealPersonalData adds.
void RevealPersonalDataInEvent(nlohmann::json& event, const KeyStore* keys);

}  // namespace ledger
