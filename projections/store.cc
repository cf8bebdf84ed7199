#include "projections/store.h"
#include "events/rocksdb_status.h"
#include "projections/keys.h"

#include <filesystem>

#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>
#include <sodium.h>

#include "events/info_log.h"

namespace ledger {

namespace {
constexpr size_t kMemtableBudget = size_t{256} << 20;
constexpr size_t kBlockCache = size_t{128} << 20;

const char* const kCfNames[] = {"cases",    "merchants", "timers", "analytics",
                                "commands", "index",     "meta"};

// Merges of 8-byte big-endian counters, so that projectors working on
// different partitions at once never read-modify-write a shared key.
class U64Merge : public rocksdb::AssociativeMergeOperator {
 public:
  explicit U64Merge(bool max) : max_(max) {}
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger*) const override {
    const uint64_t a = existing ? DecodeU64(existing->ToStringView()) : 0;
    const uint64_t b = DecodeU64(value.ToStringView());
    *new_value = EncodeU64(max_ ? std::max(a, b) : a + b);
    return true;
  }
  const char* Name() const override { return max_ ? "ledger.u64max" : "ledger.u64add"; }

 private:
  bool max_;
};
// The smallest key greater than every key that starts with `prefix` (none
// when the prefix is all 0xff bytes): an iterator's upper bound, so that a
// seek past the prefix's last key stops there instead of stepping over the
// deleted keys that follow it (a family's `st/` index is mostly tombstones).
std::optional<std::string> PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(prefix.back());
    if (last != 0xff) {
      ++last;
      return prefix;
    }
    prefix.pop_back();
  }
  return std::nullopt;
}

// Read options whose upper bound ends the reads at `prefix`'s last key.
struct PrefixBound {
  explicit PrefixBound(const std::string& prefix) : end(PrefixEnd(prefix)) {
    if (end) {
      slice = *end;
      options.iterate_upper_bound = &slice;
    }
  }
  PrefixBound(const PrefixBound&) = delete;
  PrefixBound& operator=(const PrefixBound&) = delete;
  std::optional<std::string> end;
  rocksdb::Slice slice;
  rocksdb::ReadOptions options;
};

}  // namespace

Result<std::unique_ptr<ViewStore>> ViewStore::Open(const std::string& dir, Mode mode) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(dir).parent_path(), ec);
  rocksdb::Options o;
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  o.paranoid_checks = true;
  o.info_log = OpenInfoLog(dir);
  // Append-only memtables take one writer at a time (RocksDB's write group
  // leader inserts for all); their insert is a push onto a vector.
  if (mode == Mode::kBulk) o.allow_concurrent_memtable_write = false;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  cfs.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  // Memory stays bounded however long the log (benchmarks/README.md, Memory):
  // - the seven families share one memtable budget, where each would
  //   otherwise hold up to two 64 MiB memtables of its own;
  // - index and filter blocks live in one block cache, partitioned so that
  //   only their small top levels stay pinned, instead of every table's
  //   whole index and filter on the heap, which grow with the data.
  o.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(kMemtableBudget);
  // Point lookups of cases and merchants miss often during replay (every new
  // case): Bloom filters answer those without reading blocks.
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = rocksdb::NewLRUCache(kBlockCache);
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_top_level_index_and_filter = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
  table.partition_filters = true;
  for (const char* name : kCfNames) {
    rocksdb::ColumnFamilyOptions cf;
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    if (std::string_view(name) == "analytics")
      cf.merge_operator = std::make_shared<U64Merge>(false);
    if (std::string_view(name) == "meta") cf.merge_operator = std::make_shared<U64Merge>(true);
    // `max_time` gets a merge per commit and is read before every command:
    // fold the operands on write so a read never walks a long chain.
    if (cf.merge_operator) cf.max_successive_merges = 8;
    // A replay writes these families and reads none of them (the decisions
    // that read the index run only on live views; a command's result that
    // goes on in the next batch is kept by the projector): in bulk, their
    // keys, which land at random places, are sorted once at flush.
    const bool write_only = std::string_view(name) == "index" ||
                            std::string_view(name) == "timers" ||
                            std::string_view(name) == "commands";
    if (mode == Mode::kBulk && write_only)
      cf.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
    cfs.emplace_back(name, cf);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(o, dir, cfs, &handles, &raw);
  if (!s.ok()) return FromRocks(s, fmt::format("cannot open views {}", dir));
  std::unique_ptr<rocksdb::DB> db(raw);
  // handles[0] is the default family, unused.
  std::vector<rocksdb::ColumnFamilyHandle*> ours(handles.begin() + 1, handles.end());
  db->DestroyColumnFamilyHandle(handles[0]);
  std::unique_ptr<ViewStore> views(new ViewStore(dir, std::move(db), std::move(ours), mode));
  LEDGER_RETURN_IF_ERROR(views->CheckFormat());
  return views;
}

// Views are built by one layout of keys and values, which a ledger of another
// layout would misread: a store says which it holds, and one written before
// the layout was recorded (format 1) holds progress offsets but no format.
Status ViewStore::CheckFormat() {
  LEDGER_ASSIGN_OR_RETURN(auto format, Get(Cf::kMeta, kFormatKey));
  if (format && *format == kFormat) return Status::Ok();
  LEDGER_ASSIGN_OR_RETURN(auto progress, Scan(Cf::kMeta, "offset/", 1));
  if (!format && progress.empty()) {
    auto s = db_->Put(rocksdb::WriteOptions(), handle(Cf::kMeta), kFormatKey, kFormat);
    if (!s.ok()) return FromRocks(s, fmt::format("views {}", dir_));
    return Status::Ok();
  }
  return Status::Unavailable(
      fmt::format("views {} are in layout {} and this ledger reads layout {}: run `ledger rebuild` "
                  "to build them "
                  "again from the log (the log is not touched)",
                  dir_, format ? *format : std::string("1"), kFormat));
}

ViewStore::ViewStore(std::string dir, std::unique_ptr<rocksdb::DB> db,
                     std::vector<rocksdb::ColumnFamilyHandle*> handles, Mode mode)
    : dir_(std::move(dir)), mode_(mode), db_(std::move(db)), handles_(std::move(handles)) {}

ViewStore::~ViewStore() {
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
}

Result<std::optional<std::string>> ViewStore::Get(Cf cf, const std::string& key) const {
  std::string v;
  auto s = db_->Get(rocksdb::ReadOptions(), handle(cf), key, &v);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, fmt::format("views {}", dir_));
  return std::optional<std::string>(std::move(v));
}

Status ViewStore::Write(rocksdb::WriteBatch& batch) {
  // Not synced: the views are a function of the log, and each batch carries
  // its own offsets, so a view store that lost its last batches to a power
  // cut is consistent and simply catches up from the (synced) log.
  rocksdb::WriteOptions wo;
  wo.sync = false;
  // In bulk the store is whole only once flushed, so the WAL would guard
  // nothing: it is not written.
  wo.disableWAL = mode_ == Mode::kBulk;
#if LEDGER_UNDER_TSAN
  std::lock_guard<std::mutex> turn(tsan_write_mu_);
#endif
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) return FromRocks(s, fmt::format("views {}: write failed", dir_));
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, std::string>>> ViewStore::Scan(Cf cf,
                                                                         const std::string& prefix,
                                                                         size_t limit) const {
  std::vector<std::pair<std::string, std::string>> out;
  const PrefixBound bound(prefix);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(bound.options, handle(cf)));
  for (it->Seek(prefix); it->Valid() && out.size() < limit; it->Next()) {
    if (!it->key().starts_with(prefix)) break;
    out.emplace_back(it->key().ToString(), it->value().ToString());
  }
  if (!it->status().ok()) return FromRocks(it->status(), fmt::format("views {}", dir_));
  return out;
}

Result<std::vector<std::string>> ViewStore::KeysBetween(Cf cf, const std::string& from,
                                                        const std::string& to, size_t limit) const {
  std::vector<std::string> out;
  rocksdb::Slice bound(to);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &bound;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handle(cf)));
  for (it->Seek(from); it->Valid() && out.size() < limit; it->Next()) {
    if (it->key().compare(to) >= 0) break;
    out.push_back(it->key().ToString());
  }
  if (!it->status().ok()) return FromRocks(it->status(), fmt::format("views {}", dir_));
  return out;
}

Status ViewStore::Flush() {
  auto s = db_->Flush(rocksdb::FlushOptions(), handles_);
  if (!s.ok()) return FromRocks(s, fmt::format("views {}: flush failed", dir_));
  return Status::Ok();
}

Result<std::optional<std::pair<std::string, std::string>>> ViewStore::LastAtOrBefore(
    Cf cf, const std::string& prefix, const std::string& key) const {
  rocksdb::Slice bound(prefix);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &bound;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handle(cf)));
  it->SeekForPrev(key);
  if (!it->status().ok()) return FromRocks(it->status(), fmt::format("views {}", dir_));
  if (!it->Valid() || !it->key().starts_with(prefix))
    return std::optional<std::pair<std::string, std::string>>();
  return std::optional<std::pair<std::string, std::string>>(
      std::make_pair(it->key().ToString(), it->value().ToString()));
}

Result<std::optional<std::pair<std::string, std::string>>> ViewStore::FirstAtOrAfter(
    Cf cf, const std::string& prefix, const std::string& key) const {
  const PrefixBound bound(prefix);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(bound.options, handle(cf)));
  it->Seek(key);
  if (!it->status().ok()) return FromRocks(it->status(), fmt::format("views {}", dir_));
  if (!it->Valid() || !it->key().starts_with(prefix))
    return std::optional<std::pair<std::string, std::string>>();
  return std::optional<std::pair<std::string, std::string>>(
      std::make_pair(it->key().ToString(), it->value().ToString()));
}

Result<Hash32> ViewStore::Digest() const {
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 32);
  for (int cf = 0; cf < static_cast<int>(Cf::kMeta); ++cf) {
    const std::string name = kCfNames[cf];
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(name.data()),
                              name.size());
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[cf]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string lens = EncodeU64(it->key().size()) + EncodeU64(it->value().size());
      crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(lens.data()),
                                lens.size());
      crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(it->key().data()),
                                it->key().size());
      crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(it->value().data()),
                                it->value().size());
    }
    if (!it->status().ok()) return FromRocks(it->status(), fmt::format("views {}", dir_));
  }
  Hash32 h;
  crypto_generichash_final(&st, h.data(), h.size());
  return h;
}

Result<Offset> ViewStore::NextOffset(PartitionId p) const {
  LEDGER_ASSIGN_OR_RETURN(auto v, Get(Cf::kMeta, keys::NextOffset(p)));
  return v ? DecodeU64(*v) : Offset{0};
}

Result<Hash32> ViewStore::ChainHead(PartitionId p) const {
  LEDGER_ASSIGN_OR_RETURN(auto v, Get(Cf::kMeta, keys::ChainHead(p)));
  Hash32 h{};
  if (v) {
    if (v->size() != 32)
      return Status::Corruption(fmt::format("views: bad chain head for partition {}", p));
    std::copy(v->begin(), v->end(), h.begin());
  }
  return h;
}

}  // namespace ledger
