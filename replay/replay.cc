#include "replay/replay.h"

#include <chrono>
#include <filesystem>
#include <tuple>

#include <fmt/format.h>

#include "common/csv.h"
#include "engine/event_subject.h"
#include "events/codec.h"
#include "projections/apply.h"
#include "projections/keys.h"
#include "projections/projector.h"
#include "projections/views.h"
#include "replay/chain.h"
#include "replay/event_json.h"

namespace ledger {

namespace fs = std::filesystem;

namespace {

uint64_t TotalRecords(EventLog& log) {
  uint64_t n = 0;
  for (PartitionId p = 0; p < log.partitions(); ++p) {
    auto end = log.EndOffset(p);
    if (end.ok()) n += end.value();
  }
  return n;
}

std::vector<Position> PositionsOf(const std::vector<fb::EventPosition>& v) {
  std::vector<Position> out;
  out.reserve(v.size());
  for (const auto& p : v) out.push_back({p.partition(), p.offset(), {}});
  return out;
}

// The recent events kept in a stored merchant state or snapshot.
Result<std::vector<Position>> RecentEventsOf(std::string_view stored) {
  LEDGER_ASSIGN_OR_RETURN(auto m, DecodeMerchantState(stored));
  return PositionsOf(m->recent_events);
}

Result<std::string> ReadOne(EventLog& log, const Position& pos) {
  LEDGER_ASSIGN_OR_RETURN(auto records, log.Read(pos.partition, pos.offset, 1));
  if (records.empty() || records[0].offset != pos.offset) {
    return Status::Corruption(fmt::format("{}: partition {} offset {} is missing", log.Describe(),
                                          pos.partition, pos.offset));
  }
  return std::move(records[0].bytes);
}

}  // namespace

Result<std::vector<Position>> CaseEventPositions(const ViewStore& views,
                                                 const std::string& case_id) {
  LEDGER_ASSIGN_OR_RETURN(auto stored, views.Get(Cf::kCases, case_id));
  if (!stored) return std::vector<Position>();
  LEDGER_ASSIGN_OR_RETURN(auto c, DecodeCaseState(*stored));
  return PositionsOf(c->events);
}

Result<std::vector<Position>> MerchantEventPositions(const ViewStore& views,
                                                     const std::string& merchant_id) {
  // Each snapshot holds the events since the one before it; the merchant's
  // state those since the last. The state is read first: a snapshot a
  // commit adds meanwhile is then among those scanned, and the state's
  // events already in it are skipped.
  LEDGER_ASSIGN_OR_RETURN(auto current, views.Get(Cf::kMerchants, merchant_id));
  if (!current) return std::vector<Position>();
  LEDGER_ASSIGN_OR_RETURN(auto snapshots,
                          views.Scan(Cf::kIndex, keys::SnapshotPrefix(merchant_id), SIZE_MAX));
  std::vector<Position> out;
  for (const auto& [unused, stored] : snapshots) {
    LEDGER_ASSIGN_OR_RETURN(auto some, RecentEventsOf(stored));
    out.insert(out.end(), some.begin(), some.end());
  }
  LEDGER_ASSIGN_OR_RETURN(auto recent, RecentEventsOf(*current));
  for (const auto& p : recent) {
    if (out.empty() ||
        std::tie(p.partition, p.offset) > std::tie(out.back().partition, out.back().offset)) {
      out.push_back(p);
    }
  }
  return out;
}

Result<RebuildReport> Rebuild(EventLog& log, const std::string& views_dir,
                              const Progress& progress) {
  const std::string fresh = views_dir + ".rebuild";
  std::error_code ec;
  fs::remove_all(fresh, ec);
  const uint64_t total = TotalRecords(log);
  const auto start = std::chrono::steady_clock::now();
  RebuildReport report;
  {
    LEDGER_ASSIGN_OR_RETURN(auto views, ViewStore::Open(fresh, ViewStore::Mode::kBulk));
    ApplyOptions options;
    options.on_progress = [&](uint64_t done) {
      if (progress) progress(done, total);
    };
    LEDGER_ASSIGN_OR_RETURN(auto applied, ApplyLog(log, *views, options));
    report.events = applied.applied;
    report.bytes = applied.bytes;
    const auto replayed = std::chrono::steady_clock::now();
    report.replay_seconds = std::chrono::duration<double>(replayed - start).count();
    LEDGER_RETURN_IF_ERROR(views->Flush());
    const auto flushed = std::chrono::steady_clock::now();
    report.flush_seconds = std::chrono::duration<double>(flushed - replayed).count();
    LEDGER_ASSIGN_OR_RETURN(report.digest, views->Digest());
    report.digest_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - flushed).count();
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Swap: the old views go only once the new ones are whole.
  const std::string old = views_dir + ".old";
  fs::remove_all(old, ec);
  if (fs::exists(views_dir)) {
    fs::rename(views_dir, old, ec);
    if (ec)
      return Status::IoError(fmt::format("cannot move {} aside: {}", views_dir, ec.message()));
  }
  fs::rename(fresh, views_dir, ec);
  if (ec) return Status::IoError(fmt::format("cannot move {} into place: {}", fresh, ec.message()));
  fs::remove_all(old, ec);
  return report;
}

Result<VerifyReport> Verify(EventLog& log, const ViewStore& live, const std::string& scratch_dir,
                            const Progress& progress) {
  VerifyReport report;
  const uint64_t total = TotalRecords(log);
  LEDGER_ASSIGN_OR_RETURN(report.heads, WalkChains(log, nullptr, [&](uint64_t walked) {
                            if (progress) progress(walked, total * 2);
                          }));
  for (const auto& h : report.heads) {
    report.partitions.emplace_back(h.partition, h.records);
    report.events += h.records;
  }
  std::error_code ec;
  fs::remove_all(scratch_dir, ec);
  {
    // The rebuild stops where the live views stopped: records appended
    // since (a server still writing to the topic) are not in them.
    std::vector<Offset> until;
    for (PartitionId p = 0; p < log.partitions(); ++p) {
      LEDGER_ASSIGN_OR_RETURN(Offset o, live.NextOffset(p));
      until.push_back(o);
    }
    LEDGER_ASSIGN_OR_RETURN(auto views, ViewStore::Open(scratch_dir, ViewStore::Mode::kBulk));
    ApplyOptions options;
    options.on_progress = [&](uint64_t done) {
      if (progress) progress(report.events + done, total * 2);
    };
    options.until = std::move(until);
    // The records applied, not the sum of the offsets: on Kafka offsets
    // have gaps (OffsetKind::kSparse).
    LEDGER_ASSIGN_OR_RETURN(auto compared, ApplyLog(log, *views, options));
    report.applied = compared.applied;
    LEDGER_ASSIGN_OR_RETURN(report.rebuilt_digest, views->Digest());
  }
  fs::remove_all(scratch_dir, ec);
  LEDGER_ASSIGN_OR_RETURN(report.live_digest, live.Digest());
  if (report.live_digest != report.rebuilt_digest) {
    return Status::Corruption(
        fmt::format("the live views differ from a rebuild of the log: live digest {}, rebuilt {}",
                    HexOf(report.live_digest), HexOf(report.rebuilt_digest)));
  }
  return report;
}

Result<std::unique_ptr<MerchantState>> MerchantAsOf(EventLog& log, const ViewStore& views,
                                                    const std::string& merchant_id, TimeMs as_of) {
  // Start from the latest snapshot at or before `as_of` (none: from the
  // beginning), then fold the merchant's later events up to `as_of`.
  const std::string snap_prefix = keys::SnapshotPrefix(merchant_id);
  LEDGER_ASSIGN_OR_RETURN(
      auto snap,
      views.LastAtOrBefore(Cf::kIndex, snap_prefix, keys::SnapshotUpperBound(merchant_id, as_of)));
  auto merchant = std::make_unique<MerchantState>();
  bool registered = false;
  std::optional<Position> from;  // the snapshot's event
  if (snap) {
    LEDGER_ASSIGN_OR_RETURN(merchant, DecodeMerchantState(snap->second));
    from = keys::SnapshotPosition(snap->first, merchant_id);
    if (!from)
      return Status::Corruption(fmt::format("views: bad snapshot key of merchant {}", merchant_id));
    registered = true;
  }
  // A case the fold meets: its state just after the snapshot's event, from
  // its own (few) events.
  std::unordered_map<std::string, CaseState> cases;
  auto case_at_snapshot = [&](const std::string& case_id) -> Result<CaseState*> {
    auto it = cases.find(case_id);
    if (it != cases.end()) return &it->second;
    CaseState& c = cases[case_id];
    if (from) {
      LEDGER_ASSIGN_OR_RETURN(auto positions, CaseEventPositions(views, case_id));
      for (const auto& pos : positions) {
        if (pos.partition != from->partition || pos.offset > from->offset) break;
        LEDGER_ASSIGN_OR_RETURN(std::string bytes, ReadOne(log, pos));
        LEDGER_ASSIGN_OR_RETURN(const fb::Event* e, DecodeEvent(bytes, pos.partition, pos.offset));
        EvolveCase(c, *e);
      }
    }
    return &c;
  };
  // The events after the snapshot: those the next snapshot holds or, when
  // there is none yet, those the merchant's state holds. The state is read
  // first, and the chain of snapshots is followed until an event is past
  // `as_of`: a snapshot a live commit adds meanwhile is then followed too,
  // and the state's events it already holds are skipped.
  LEDGER_ASSIGN_OR_RETURN(auto current, views.Get(Cf::kMerchants, merchant_id));
  if (!current) return Status::NotFound(fmt::format("merchant {} does not exist", merchant_id));
  std::optional<Position> last = from;  // the last event folded (or the snapshot's)
  std::string after = snap ? snap->first + std::string(1, '\0') : snap_prefix;
  for (bool past = false; !past;) {
    LEDGER_ASSIGN_OR_RETURN(auto next, views.FirstAtOrAfter(Cf::kIndex, snap_prefix, after));
    LEDGER_ASSIGN_OR_RETURN(auto later, RecentEventsOf(next ? next->second : *current));
    for (const auto& pos : later) {
      if (last && std::tie(pos.partition, pos.offset) <= std::tie(last->partition, last->offset))
        continue;
      LEDGER_ASSIGN_OR_RETURN(std::string bytes, ReadOne(log, pos));
      LEDGER_ASSIGN_OR_RETURN(const fb::Event* e, DecodeEvent(bytes, pos.partition, pos.offset));
      if (e->occurred_at_ms() > as_of) {  // a partition's events are in time order
        past = true;
        break;
      }
      last = pos;
      registered = registered || e->payload_type() == fb::Payload::MerchantRegistered;
      const std::string case_id(CaseIdOf(*e));
      if (case_id.empty()) {
        EvolveMerchant(*merchant, *e, nullptr, nullptr);
        continue;
      }
      LEDGER_ASSIGN_OR_RETURN(CaseState * c, case_at_snapshot(case_id));
      const CaseState before = *c;
      EvolveCase(*c, *e);
      EvolveMerchant(*merchant, *e, &before, c);
    }
    if (!next) break;
    after = next->first + std::string(1, '\0');
  }
  if (!registered) {
    return Status::NotFound(
        fmt::format("merchant {} was not registered at {}", merchant_id, FormatTime(as_of)));
  }
  return merchant;
}

Result<uint64_t> Export(EventLog& log, const ViewStore& views, const ExportFilter& f,
                        ExportFormat format, const EventJson& renderer, std::ostream& out) {
  uint64_t written = 0;
  if (format == ExportFormat::kCsv) {
    out << "partition,offset,event_id,occurred_at,type,stream_id,stream_version,merchant_id,case_"
           "id,"
           "actor_role,actor_id,command_id,policy_version,payload\n";
  }
  auto emit = [&](const std::string& bytes, PartitionId p, Offset o) -> Status {
    LEDGER_ASSIGN_OR_RETURN(const fb::Event* e, DecodeEvent(bytes, p, o));
    const TimeMs at = e->occurred_at_ms();
    if (at < f.from || at >= f.to) return Status::Ok();
    const std::string type(PayloadName(*e));
    if (!f.types.empty() && !f.types.count(type)) return Status::Ok();
    const std::string merchant = e->partition_key() ? e->partition_key()->str() : "";
    if (!f.merchant_id.empty() && merchant != f.merchant_id) return Status::Ok();
    if (!f.case_id.empty() && CaseIdOf(*e) != f.case_id) return Status::Ok();
    auto j = nlohmann::json::parse(renderer.Render(bytes), nullptr, false);
    if (format == ExportFormat::kJsonLines) {
      j["partition"] = p;
      j["offset"] = o;
      j["occurred_at"] = FormatTime(at);
      j.erase("prev_hash");
      j.erase("command_digest");
      j["prev_hash"] = HexOf(e->prev_hash()->data(), e->prev_hash()->size());
      out << j.dump() << '\n';
    } else {
      auto str = [](const flatbuffers::String* s) { return s ? s->str() : std::string(); };
      out << p << ',' << o << ',' << CsvQuote(str(e->event_id())) << ',' << FormatTime(at) << ','
          << type << ',' << CsvQuote(str(e->stream_id())) << ',' << e->stream_version() << ','
          << CsvQuote(merchant) << ',' << CsvQuote(CaseIdOf(*e)) << ','
          << (e->actor() ? RoleName(e->actor()->role()) : "") << ','
          << CsvQuote(e->actor() ? str(e->actor()->id()) : "") << ','
          << CsvQuote(str(e->command_id())) << ',' << CsvQuote(str(e->policy_version())) << ','
          << CsvQuote(j.value("payload", nlohmann::json()).dump()) << '\n';
    }
    ++written;
    return Status::Ok();
  };
  if (!f.case_id.empty() || !f.merchant_id.empty()) {
    LEDGER_ASSIGN_OR_RETURN(auto positions, f.case_id.empty()
                                                ? MerchantEventPositions(views, f.merchant_id)
                                                : CaseEventPositions(views, f.case_id));
    for (const auto& pos : positions) {
      LEDGER_ASSIGN_OR_RETURN(std::string bytes, ReadOne(log, pos));
      LEDGER_RETURN_IF_ERROR(emit(bytes, pos.partition, pos.offset));
    }
    return written;
  }
  for (PartitionId p = 0; p < log.partitions(); ++p) {
    Offset next = 0;
    for (;;) {
      LEDGER_ASSIGN_OR_RETURN(auto records, log.Read(p, next, 4096));
      if (records.empty()) break;
      for (const auto& r : records) LEDGER_RETURN_IF_ERROR(emit(r.bytes, p, r.offset));
      next = records.back().offset + 1;
    }
  }
  return written;
}

}  // namespace ledger
