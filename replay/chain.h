// Tamper evidence: walking each partition's hash chain, and signed checkpoints.
//
// Every record carries the BLAKE2b-256 hash of the record before it in its
// partition (prev_hash), so an edited, deleted, inserted or reordered record
// breaks the chain at the first offset after the change. The chain alone
// cannot show that the newest records were removed or rewritten together with
// everything after them: a checkpoint can. A checkpoint is a statement of each
// partition's record count, last offset and chain head, signed with Ed25519;
// anyone holding the public key can check the signature, and anyone holding
// the log can check that its chain still passes through those heads.
// The format is in docs/log-format.md ("Checkpoints").
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "events/event_log.h"

namespace ledger {

// Where one partition's chain stands.
struct ChainHead {
  PartitionId partition = 0;
  uint64_t records = 0;    // in the partition
  Offset last_offset = 0;  // of its newest record (meaningless when records == 0)
  Hash32 head{};           // hash of its newest record; zero when records == 0

  bool operator==(const ChainHead&) const = default;
};

// Walks every partition from its first record, checking that each record
// decodes, belongs to the partition, and points to the hash of the one before
// it. With `expected` (one entry per partition, e.g. from a checkpoint), also
// checks that the chain passes through each expected head. The error names
// the partition and the first offset where the log departs from its chain.
// `progress` gets records walked so far.
Result<std::vector<ChainHead>> WalkChains(EventLog& log,
                                          const std::vector<ChainHead>* expected = nullptr,
                                          const std::function<void(uint64_t)>& progress = {});

using Ed25519Secret = std::array<uint8_t, 64>;  // libsodium's secret key: seed and public key
using Ed25519Public = std::array<uint8_t, 32>;

// Writes a new key pair: `path` (the secret key, mode 0600, never
// overwritten) and `path`.pub (the public key as PEM, which OpenSSL reads).
// Returns the public key.
Result<Ed25519Public> GenerateCheckpointKey(const std::string& path);
// Reads a secret key written by GenerateCheckpointKey.
Result<Ed25519Secret> LoadCheckpointSecret(const std::string& path);
// Reads a public key: a PEM file, or 64 hex digits (the text itself or a file
// holding them).
Result<Ed25519Public> LoadCheckpointPublic(const std::string& path_or_hex);

struct Checkpoint {
  std::string statement;  // the signed text, exactly
  std::array<uint8_t, 64> signature{};
  Ed25519Public public_key{};    // as the file states it (informative)
  std::string signed_at;         // UTC, from the statement
  std::vector<ChainHead> heads;  // one per partition, from the statement
};

// The statement for `heads`, signed at `signed_at` (RFC 3339 UTC), as the
// JSON document `ledger checkpoint sign` prints.
std::string SignCheckpoint(const std::vector<ChainHead>& heads, const std::string& signed_at,
                           const Ed25519Secret& secret);

// Parses a checkpoint document and checks its signature against `key`.
// Needs nothing but the document and the key. Names what is wrong.
Result<Checkpoint> CheckCheckpointSignature(const std::string& document, const Ed25519Public& key);

}  // namespace ledger
