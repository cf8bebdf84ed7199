// Consumers' keys for personal data, one file per key under a directory of
// the data directory (engine/personal_data.h says what they seal).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "engine/personal_data.h"

namespace ledger {

// One 256-bit key per consumer, one file per key: DIR/<hex BLAKE2b-128 of the
// consumer id>.key (0600, in a 0700 directory). A key is written to a new
// file, fsynced, renamed into place and the directory fsynced before
// GetOrCreate returns. Erase overwrites the key's bytes with zeros, fsyncs,
// unlinks and leaves DIR/<hash>.erased. Thread-safe; several processes may
// share a directory (creation is atomic by rename with O_EXCL on the name).
class KeyStore final : public ConsumerKeys {
 public:
  // Creates DIR (mode 0700) if missing.
  static Result<std::unique_ptr<KeyStore>> Open(const std::string& dir);

  // The consumer's key, created (durably) when it has none.
  Result<ConsumerKey> GetOrCreate(std::string_view consumer_id) override;
  // The consumer's key; nullopt when it has none (never created, or erased).
  Result<std::optional<ConsumerKey>> Find(std::string_view consumer_id) const override;
  // Whether an erasure was recorded for this consumer.
  bool WasErased(std::string_view consumer_id) const override;

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

}  // namespace ledger
