// Bearer tokens for the HTTP service: who the caller is (a role and an id)
// and until when, signed with the server's Ed25519 key (libsodium
// crypto_sign). The wire format is in docs/http.md:
//   "lt1." base64url(payload JSON) "." base64url(signature of everything before it)
// The key file lives in the data directory, created on first use with mode
// 0600; a key file readable by others is refused.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/time.h"
#include "events_generated.h"

namespace ledger {

// The caller a verified token names.
struct Principal {
  fb::Role role = fb::Role::consumer;
  std::string id;
  TimeMs expires_at = 0;
  // "consumer:u-1": the key for rate limits and scoped command ids.
  std::string Key() const;
};

// Parses a role as users write it: consumer, merchant, authority, operator.
Result<fb::Role> ParseRole(std::string_view text);
// Parses a duration: "90s", "15m", "1h", "7d" or plain seconds.
Result<TimeMs> ParseDuration(std::string_view text);

// Thread-safe (immutable after construction).
class TokenSigner {
 public:
  // Reads the key in `path`, or creates it (mode 0600) when absent.
  static Result<TokenSigner> OpenOrCreate(const std::string& path);
  // The key file's usual place: <data_dir>/http-token.key.
  static std::string KeyPathFor(const std::string& data_dir);

  // A token for `who`, valid until who.expires_at.
  // REQUIRES: who.id is a valid id (ValidateId).
  std::string Mint(const Principal& who, TimeMs issued_at) const;
  // The principal a token names, if its signature is ours and it has not
  // expired at `now`. The error says which (never echoing the token).
  Result<Principal> Verify(std::string_view token, TimeMs now) const;

  // 1..128 printable ASCII characters, no spaces, quotes, slashes or colons.
  static Status ValidateId(std::string_view id);

 private:
  std::array<unsigned char, 64> secret_{};
  std::array<unsigned char, 32> public_{};
};

}  // namespace ledger
