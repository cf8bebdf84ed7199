// EmbeddedLog: the event log in a RocksDB database of its own, the default
// that needs nothing started. Key = partition (4 bytes BE) + offset (8 bytes
// BE); value = the record's bytes (docs/log-format.md).
//
// Appends are durable when they return: a single writer thread gathers every
// append waiting at that moment into one WriteBatch and one synced write
// (group commit), assigning offsets and chaining hashes as it goes.
#pragma once

#include <memory>

#include "events/event_log.h"
#include "events/group_writer.h"

namespace rocksdb {
class DB;
}

namespace ledger {

struct EmbeddedLogOptions {
  // Used only when the log is created; an existing log keeps its count.
  uint32_t partitions = 6;
  // false only for benchmarks that measure the cost of syncing.
  bool sync = true;
};

class EmbeddedLog final : public EventLog {
 public:
  // Opens or creates the log in `dir`.
  static Result<std::unique_ptr<EmbeddedLog>> Open(const std::string& dir,
                                                   EmbeddedLogOptions options = {});
  ~EmbeddedLog() override;

  uint32_t partitions() const override { return partitions_; }
  OffsetKind offset_kind() const override { return OffsetKind::kDense; }
  Result<std::vector<Position>> Append(std::vector<PendingRecord> records) override;
  Result<std::vector<LogRecord>> Read(PartitionId partition, Offset from, size_t max) override;
  Result<Offset> EndOffset(PartitionId partition) override;
  std::string Describe() const override { return "embedded:" + dir_; }

  // Number of synced writes so far (to observe group commit).
  uint64_t sync_count() const;

 private:
  struct Head {
    Offset next = 0;
    Hash32 last_hash{};
  };
  EmbeddedLog(std::string dir, std::unique_ptr<rocksdb::DB> db, uint32_t partitions, bool sync);
  Status LoadHeads();
  // The writer thread's work: one synced WriteBatch for the group.
  Result<std::vector<std::vector<Position>>> WriteGroup(
      std::vector<std::vector<PendingRecord>>& group);

  const std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  const uint32_t partitions_;
  const bool sync_;

  std::vector<Head> heads_;              // touched only by the writer thread after Open
  std::unique_ptr<GroupWriter> writer_;  // last: stopped first
};

}  // namespace ledger
