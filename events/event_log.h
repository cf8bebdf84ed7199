// Layer events/: the log (EmbeddedLog on RocksDB, KafkaLog on librdkafka),
// the record codec and the hash chain. It owns appending, reading and
// chaining records; it must never include engine/ or interpret a payload
// beyond decoding it, and never reads a clock for an event's time.
//
// The event log: the single source of truth. Records are FlatBuffers `Event`s
// (schemas/events.fbs), grouped into partitions by merchant id with Kafka's
// murmur2 partitioner, numbered by offset within a partition, and chained by
// hash (docs/log-format.md). Implementations: EmbeddedLog (RocksDB) and
// KafkaLog. This module never interprets payloads.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ledger {

using PartitionId = uint32_t;
using Offset = uint64_t;
using Hash32 = std::array<uint8_t, 32>;

// Which partition a merchant's events go to: murmur2(key) & 0x7fffffff mod n,
// as Kafka's and librdkafka's default partitioners compute it.
// REQUIRES: partitions > 0.
PartitionId PartitionFor(std::string_view key, uint32_t partitions);

// An encoded event waiting to be appended. Its prev_hash is 32 zero bytes; the
// log fills it in.
struct PendingRecord {
  std::string partition_key;
  std::string bytes;
};

struct Position {
  PartitionId partition = 0;
  Offset offset = 0;
  Hash32 hash{};  // of the record as appended: the partition's new chain head
};

struct LogRecord {
  PartitionId partition = 0;
  Offset offset = 0;
  std::string bytes;
};

// How a log's offsets relate to its records. kDense: the n-th record of a
// partition has offset n, so an end offset counts records (EmbeddedLog).
// kSparse: offsets have gaps (a Kafka transaction's marker takes one), so
// only the records read say how many there are (KafkaLog).
enum class OffsetKind { kDense, kSparse };

class EventLog {
 public:
  virtual ~EventLog() = default;

  virtual uint32_t partitions() const = 0;
  virtual OffsetKind offset_kind() const = 0;

  // Appends the records in order, all or none, and returns once they are
  // durable. Each record's prev_hash is set to the hash of the record before
  // it in its partition. Thread-safe; concurrent appends share one sync.
  virtual Result<std::vector<Position>> Append(std::vector<PendingRecord> records) = 0;

  // Up to `max` records of `partition` from offset `from` on, in order.
  virtual Result<std::vector<LogRecord>> Read(PartitionId partition, Offset from, size_t max) = 0;

  // The offset the next record of `partition` will get.
  virtual Result<Offset> EndOffset(PartitionId partition) = 0;

  // EndOffset, for a caller that knows the log held records up to `expected`
  // (the offset after them) and checks that it still does. A log whose end
  // can lag behind what it holds for a moment (a Kafka broker that has just
  // restarted) waits, bounded, for it to reach `expected`; the result may
  // still be lower, which the caller reports.
  virtual Result<Offset> EndOffsetAtLeast(PartitionId partition, Offset expected) {
    (void)expected;
    return EndOffset(partition);
  }

  // The end counting records written but not yet committed or aborted (a
  // Kafka transaction still open): where EndOffset will reach once every
  // transaction written so far has ended.
  virtual Result<Offset> WrittenEnd(PartitionId partition) { return EndOffset(partition); }

  // "embedded:DIR" or "kafka://HOST:PORT/TOPIC", for messages.
  virtual std::string Describe() const = 0;
};

}  // namespace ledger
