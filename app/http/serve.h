// `ledger serve` and `ledger token`: the HTTP service as a process (signals,
// timekeeper, startup line) and minting tokens with the server's key.
#pragma once

#include <string>

#include "app/http/server.h"
#include "app/ledger/service.h"
#include "common/time.h"

namespace ledger {

struct ServeOptions {
  LedgerOptions ledger;
  HttpOptions http;
  int64_t tick_ms = 1000;  // the timekeeper's period; 0: no timekeeper
};

// Serves until SIGINT or SIGTERM, then stops cleanly (open requests finish,
// the timekeeper stops, the ledger closes). Prints one JSON line on stdout
// once listening: {"listening": "http://HOST:PORT", "port": PORT, ...}.
// Returns the process exit code.
int RunServe(const ServeOptions& options, const Clock& clock);

// Prints a token for ROLE:ID valid for `ttl` (e.g. "1h") from the clock's
// now, signed with the key in `data_dir` (created if absent). With `json`,
// {"token", "role", "id", "expires_at"}. Returns the exit code.
int RunMintToken(const std::string& data_dir, const std::string& role, const std::string& id,
                 const std::string& ttl, bool json, const Clock& clock);

}  // namespace ledger
