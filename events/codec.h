// Encoding and checking of log records: FlatBuffers verification, the hash
// chain (BLAKE2b-256 over each record's bytes), and filling prev_hash.
#pragma once

#include <string>
#include <string_view>

#include "common/hex.h"
#include "events/event_log.h"
#include "events_generated.h"

namespace ledger {

constexpr uint16_t kSchemaVersion = 1;

// BLAKE2b-256 of a record's bytes.
Hash32 HashRecord(std::string_view bytes);
// A 32-byte all-zero hash: what the first record of a partition points to.
inline Hash32 ZeroHash() { return Hash32{}; }

// Verifies the FlatBuffers structure and the identifier; names the position.
Result<const fb::Event*> DecodeEvent(std::string_view bytes, PartitionId p, Offset o);
// Same, for records not yet in a log.
Result<const fb::Event*> DecodeEvent(std::string_view bytes);

// Packs an event. prev_hash is left as 32 zero bytes for the log to fill.
std::string EncodeEvent(const fb::EventT& event);

// Writes `prev` into the record's prev_hash in place.
// REQUIRES: `bytes` was made by EncodeEvent.
void SetPrevHash(std::string& bytes, const Hash32& prev);

}  // namespace ledger
