#include "projections/apply.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "projections/projector.h"

namespace ledger {

Result<ApplyReport> ApplyLog(EventLog& log, ViewStore& views, const ApplyOptions& options) {
  constexpr size_t kBatch = 16384;
  const std::vector<Offset>* until = options.until ? &*options.until : nullptr;
  const bool collect = options.indicators == Indicators::kCollect;
  ApplyReport report;
  if (until && until->size() != log.partitions()) {
    return Status::InvalidArgument(fmt::format("apply: {} stopping offsets for {} partitions",
                                               until->size(), log.partitions()));
  }
  std::atomic<uint64_t> bytes{0};
  // Partitions share no case or merchant (the partition key is the merchant)
  // and the shared keys (counters, latest time) are merges: one projector per
  // thread, each taking the next partition not yet taken.
  const unsigned threads =
      std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), log.partitions()));
  std::mutex mu;  // guards the progress callback, `report.indicators` and `first_error`
  std::atomic<uint64_t> applied{0};
  std::atomic<PartitionId> next_partition{0};
  std::atomic<bool> failed{false};
  Status first_error;
  auto work = [&] {
    Projector projector(views);
    projector.set_collect_indicators(collect);
    auto apply_partition = [&](PartitionId p) -> Status {
      LEDGER_ASSIGN_OR_RETURN(Offset next, views.NextOffset(p));
      LEDGER_ASSIGN_OR_RETURN(Hash32 head, views.ChainHead(p));
      // The views only ever apply records the log holds: views ahead of the
      // log mean records they applied are gone from it (a truncated or
      // corrupted log), and appending there would write over their offsets.
      Offset want = next;
      if (options.settle == Settle::kAfterOpenTransactions) {
        LEDGER_ASSIGN_OR_RETURN(Offset written, log.WrittenEnd(p));
        want = std::max(want, written);
      }
      // With `until`, the views being copied applied every record below it.
      const Offset stop = until ? (*until)[p] : std::numeric_limits<Offset>::max();
      if (until) want = std::max(want, stop);
      LEDGER_ASSIGN_OR_RETURN(Offset end, log.EndOffsetAtLeast(p, want));
      const Offset applied_up_to = until ? std::max(next, stop) : next;
      if (applied_up_to > end) {
        return Status::Corruption(fmt::format(
            "{} partition {} ends at offset {} but the views applied records up to offset {}: "
            "records acknowledged earlier are missing from the log; refusing to use it",
            log.Describe(), p, end, applied_up_to - 1));
      }
      while (!failed && next < stop) {
        LEDGER_ASSIGN_OR_RETURN(auto records,
                                log.Read(p, next, std::min<uint64_t>(kBatch, stop - next)));
        // Offsets need not be dense (a Kafka transaction's marker takes
        // one): the records read may reach past `stop`.
        while (!records.empty() && records.back().offset >= stop) records.pop_back();
        if (records.empty()) break;
        std::vector<Position> positions;
        positions.reserve(records.size());
        uint64_t batch_bytes = 0;
        for (const auto& r : records) {
          LEDGER_ASSIGN_OR_RETURN(Position pos, projector.StageFromLog(r, head, log.Describe()));
          positions.push_back(pos);
          batch_bytes += r.bytes.size();
        }
        bytes += batch_bytes;
        LEDGER_RETURN_IF_ERROR(projector.Commit(positions));
        next = records.back().offset + 1;
        const uint64_t done = applied += records.size();
        std::lock_guard<std::mutex> lock(mu);
        if (collect) {
          for (auto& [id, json] : projector.TakeIndicators())
            report.indicators[id] = std::move(json);  // the latest wins
        }
        if (options.on_progress) options.on_progress(done);
      }
      return Status::Ok();
    };
    for (PartitionId p = next_partition++; p < log.partitions() && !failed; p = next_partition++) {
      Status s = apply_partition(p);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (!failed.exchange(true)) first_error = std::move(s);
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (failed) return first_error;
  report.applied = applied.load();
  report.bytes = bytes.load();
  return report;
}

}  // namespace ledger
