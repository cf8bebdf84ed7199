// Layer projections/: the views (RocksDB column families), their keys
// (projections/keys.h), the projector that folds events into them with the
// offsets in the same batch, the replay loop (projections/apply.h) and the
// analysts' queries. It must never decide a rule (folds only call engine/),
// append to the log, or read a clock.
//
// ViewStore: the projections' RocksDB database. Column families:
//   cases      case id -> CaseState (FlatBuffers)
//   merchants  merchant id -> MerchantState (FlatBuffers)
//   timers     keys::TimerKey() -> ""      (every pending deadline and decay, by due time)
//   analytics  dimension key -> count / histogram (projections/views.h)
//   commands   command id -> result JSON   (idempotent retries)
//   index      "tx/" transaction key -> case id, "snap/" merchant snapshots, ...
//   (docs/projections.md) meta       "offset/<p>", "head/<p>", "max_time", "policy_version",
//   "schema_version"
//              , "views_format"
//              (of the latest event applied). The digest is computed on demand
//              (Digest()) by `ledger verify` and `ledger rebuild`.
// Everything but meta is covered by Digest(); all of it is a pure function
// of the log (docs/projections.md).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/coding.h"
#include "common/status.h"
#include "events/event_log.h"
#include "projections/keys.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace ledger {

enum class Cf { kCases = 0, kMerchants, kTimers, kAnalytics, kCommands, kIndex, kMeta, kCount };

class ViewStore {
 public:
  // kLive: the views a ledger serves and keeps up to date.
  // kBulk: a fresh store filled once by a replay from the start of the log
  // (rebuild, verify's scratch copy) and read only after Flush(). The
  // families the replay only writes (index, timers) take their keys into
  // append-only memtables sorted once when flushed, not into skip lists,
  // and nothing goes to RocksDB's write-ahead log: a store cut off before
  // its Flush() is thrown away by whoever made it (docs/decisions.md).
  enum class Mode { kLive, kBulk };
  static Result<std::unique_ptr<ViewStore>> Open(const std::string& dir, Mode mode = Mode::kLive);
  ~ViewStore();

  Result<std::optional<std::string>> Get(Cf cf, const std::string& key) const;
  // Applies the batch atomically (state and offsets together). Not synced:
  // after a power cut the views may be behind the log, never ahead or torn.
  Status Write(rocksdb::WriteBatch& batch);
  // Writes the memtables out to files (and waits).
  Status Flush();
  rocksdb::ColumnFamilyHandle* handle(Cf cf) const { return handles_[static_cast<int>(cf)]; }
  rocksdb::DB* db() const { return db_.get(); }
  const std::string& dir() const { return dir_; }

  // Keys and values of `cf` whose key starts with `prefix`, in key order,
  // at most `limit`.
  Result<std::vector<std::pair<std::string, std::string>>> Scan(Cf cf, const std::string& prefix,
                                                                size_t limit) const;
  // Keys of `cf` from `from` (inclusive) while key < `to`, at most `limit`.
  Result<std::vector<std::string>> KeysBetween(Cf cf, const std::string& from,
                                               const std::string& to, size_t limit) const;

  // The last key of `cf` that starts with `prefix` and is <= `key`, with its value.
  Result<std::optional<std::pair<std::string, std::string>>> LastAtOrBefore(
      Cf cf, const std::string& prefix, const std::string& key) const;

  // The first key of `cf` that starts with `prefix` and is >= `key`, with its value.
  Result<std::optional<std::pair<std::string, std::string>>> FirstAtOrAfter(
      Cf cf, const std::string& prefix, const std::string& key) const;

  // BLAKE2b-256 over every key and value of every column family but meta.
  Result<Hash32> Digest() const;

  // Per-partition progress: the next offset to apply and the chain head.
  Result<Offset> NextOffset(PartitionId p) const;
  Result<Hash32> ChainHead(PartitionId p) const;

  // The layout of keys and values this build writes and reads, kept in meta
  // under kFormatKey; Open refuses views of another layout (rebuild them).
  static constexpr const char* kFormatKey = keys::kViewsFormat;
  static constexpr const char* kFormat = "2";

 private:
  Status CheckFormat();
  ViewStore(std::string dir, std::unique_ptr<rocksdb::DB> db,
            std::vector<rocksdb::ColumnFamilyHandle*> handles, Mode mode);
  std::string dir_;
  Mode mode_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  // Under ThreadSanitizer only: concurrent writers (the replay's threads)
  // take turns. RocksDB merges concurrent batches in its own write group,
  // synchronised by atomics in a library not built with TSan, which TSan
  // cannot see and reports as races between the writers' batches; taking
  // turns keeps TSan's view true and leaves our own code checked.
  std::mutex tsan_write_mu_;
};

}  // namespace ledger
