#include "events/embedded_log.h"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "events/codec.h"
#include "events/info_log.h"
#include "events/rocksdb_status.h"

namespace ledger {

namespace {

const char kMetaPartitions[] =
    "\xff"
    "partitions";

std::string RecordKey(PartitionId p, Offset o) {
  std::string k(12, '\0');
  for (int i = 0; i < 4; ++i) k[i] = static_cast<char>(p >> (24 - 8 * i));
  for (int i = 0; i < 8; ++i) k[4 + i] = static_cast<char>(o >> (56 - 8 * i));
  return k;
}

bool InPartition(const rocksdb::Slice& k, PartitionId p) {
  return k.size() == 12 && RecordKey(p, 0).compare(0, 4, k.data(), 4) == 0;
}

Offset OffsetOfKey(const rocksdb::Slice& k) {
  Offset o = 0;
  for (int i = 0; i < 8; ++i) o = (o << 8) | static_cast<uint8_t>(k[4 + i]);
  return o;
}

}  // namespace

Result<std::unique_ptr<EmbeddedLog>> EmbeddedLog::Open(const std::string& dir,
                                                       EmbeddedLogOptions options) {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.paranoid_checks = true;
  o.info_log = OpenInfoLog(dir);
  // A record torn at the end of the write-ahead log (a crash during an append
  // that was never acknowledged) is dropped; a damaged record before it is a
  // corruption reported at open, never a log silently cut short there.
  o.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(o, dir, &raw);
  if (!s.ok()) return FromRocks(s, fmt::format("cannot open log {}", dir));
  std::unique_ptr<rocksdb::DB> db(raw);

  uint32_t partitions = options.partitions;
  std::string value;
  s = db->Get(rocksdb::ReadOptions(), kMetaPartitions, &value);
  if (s.ok()) {
    if (value.size() != 4)
      return Status::Corruption(fmt::format("log {}: bad partition count", dir));
    partitions = 0;
    for (char c : value) partitions = (partitions << 8) | static_cast<uint8_t>(c);
  } else if (s.IsNotFound()) {
    if (partitions == 0) return Status::InvalidArgument("log needs at least one partition");
    std::string v(4, '\0');
    for (int i = 0; i < 4; ++i) v[i] = static_cast<char>(partitions >> (24 - 8 * i));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db->Put(wo, kMetaPartitions, v);
    if (!s.ok()) return FromRocks(s, fmt::format("log {}", dir));
  } else {
    return FromRocks(s, fmt::format("log {}", dir));
  }
  std::unique_ptr<EmbeddedLog> log(new EmbeddedLog(dir, std::move(db), partitions, options.sync));
  LEDGER_RETURN_IF_ERROR(log->LoadHeads());
  log->writer_ = std::make_unique<GroupWriter>(
      [l = log.get()](std::vector<std::vector<PendingRecord>>& group) {
        return l->WriteGroup(group);
      },
      /*max_group_records=*/0);
  return log;
}

EmbeddedLog::EmbeddedLog(std::string dir, std::unique_ptr<rocksdb::DB> db, uint32_t partitions,
                         bool sync)
    : dir_(std::move(dir)), db_(std::move(db)), partitions_(partitions), sync_(sync) {
  heads_.resize(partitions_);
}

EmbeddedLog::~EmbeddedLog() { writer_.reset(); }

Status EmbeddedLog::LoadHeads() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (PartitionId p = 0; p < partitions_; ++p) {
    it->SeekForPrev(RecordKey(p, ~0ULL));
    // A damaged file leaves the iterator invalid with the error in status():
    // a partition must not look empty because its last block cannot be read.
    if (!it->status().ok())
      return FromRocks(it->status(), fmt::format("log {} partition {}", dir_, p));
    if (!it->Valid() || !InPartition(it->key(), p)) continue;
    heads_[p].next = OffsetOfKey(it->key()) + 1;
    heads_[p].last_hash = HashRecord(std::string_view(it->value().data(), it->value().size()));
  }
  if (!it->status().ok()) return FromRocks(it->status(), fmt::format("log {}", dir_));
  return Status::Ok();
}

Result<std::vector<Position>> EmbeddedLog::Append(std::vector<PendingRecord> records) {
  return writer_->Append(std::move(records));
}

Result<std::vector<std::vector<Position>>> EmbeddedLog::WriteGroup(
    std::vector<std::vector<PendingRecord>>& group) {
  std::vector<Head> saved = heads_;
  rocksdb::WriteBatch batch;
  std::vector<std::vector<Position>> positions(group.size());
  for (size_t g = 0; g < group.size(); ++g) {
    for (auto& rec : group[g]) {
      const PartitionId p = PartitionFor(rec.partition_key, partitions_);
      Head& head = heads_[p];
      SetPrevHash(rec.bytes, head.last_hash);
      head.last_hash = HashRecord(rec.bytes);
      batch.Put(RecordKey(p, head.next), rec.bytes);
      positions[g].push_back({p, head.next, head.last_hash});
      ++head.next;
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) {
    heads_ = std::move(saved);
    return FromRocks(s, fmt::format("append to {} failed", Describe()));
  }
  return positions;
}

uint64_t EmbeddedLog::sync_count() const { return writer_->groups(); }

Result<std::vector<LogRecord>> EmbeddedLog::Read(PartitionId partition, Offset from, size_t max) {
  if (partition >= partitions_) {
    return Status::InvalidArgument(
        fmt::format("partition {} does not exist ({} has {})", partition, Describe(), partitions_));
  }
  std::vector<LogRecord> out;
  rocksdb::ReadOptions ro;
  const std::string upper = RecordKey(partition + 1, 0);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  Offset expect = from;
  for (it->Seek(RecordKey(partition, from)); it->Valid() && out.size() < max; it->Next()) {
    const Offset o = OffsetOfKey(it->key());
    if (o != expect) {
      return Status::Corruption(
          fmt::format("{}: partition {} is missing offset {} (next present is {})", Describe(),
                      partition, expect, o));
    }
    out.push_back({partition, o, it->value().ToString()});
    ++expect;
  }
  if (!it->status().ok()) {
    return FromRocks(it->status(), fmt::format("read {} partition {}", Describe(), partition));
  }
  return out;
}

Result<Offset> EmbeddedLog::EndOffset(PartitionId partition) {
  if (partition >= partitions_) {
    return Status::InvalidArgument(fmt::format("partition {} does not exist", partition));
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->SeekForPrev(RecordKey(partition, ~0ULL));
  if (!it->status().ok())
    return FromRocks(it->status(), fmt::format("log {} partition {}", dir_, partition));
  if (!it->Valid() || !InPartition(it->key(), partition)) return Offset{0};
  return OffsetOfKey(it->key()) + 1;
}

}  // namespace ledger
