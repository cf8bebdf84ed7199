// The commands that read: a case, its history, a merchant's profile (now or
// as of a moment), the log's status, and a tail of the events.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/cli/cli.h"
#include "app/import/cfpb_csv.h"
#include "engine/event_subject.h"
#include "engine/personal_data.h"
#include "events/codec.h"
#include "projections/views.h"
#include "replay/event_json.h"
#include "replay/history.h"
#include "replay/replay.h"

namespace ledger::cli {
namespace {

int RunCase(const Globals& g, const std::string& case_id) {
  const Clock& clock = *g.wall_clock;
  auto ledger = OpenLedger(g, clock);
  if (!ledger.ok()) return Fail(ledger.status());
  auto c = ledger.value()->GetCase(case_id);
  if (!c.ok()) return Fail(c.status());
  nlohmann::json j = CaseJson(*c.value());
  RevealPersonalData(j, c.value()->consumer_id, c.value()->consumer_name_sealed,
                     c.value()->consumer_phone_sealed, OperatorKeys(g, *ledger.value()));
  PrintObject(j, Format(g));
  return 0;
}

int RunHistory(const Globals& g, const std::string& case_id) {
  const Clock& clock = *g.wall_clock;
  auto ledger = OpenLedger(g, clock);
  if (!ledger.ok()) return Fail(ledger.status());
  EventJson renderer(OperatorKeys(g, *ledger.value()));
  auto h = CaseHistory(ledger.value()->log(), ledger.value()->views(), case_id, renderer);
  if (!h.ok()) return Fail(h.status());
  PrintTimeline(h.value(), Format(g));
  return 0;
}

// `merchant ID|NAME [--as-of TIME]`: the profile now, or folded from the log as it stood then.
int RunMerchant(const Globals& g, std::string merchant_id, const std::string& as_of) {
  auto clock = MakeClock(g);
  if (!clock.ok()) return Fail(clock.status());
  auto ledger = OpenLedger(g, *clock.value());
  if (!ledger.ok()) return Fail(ledger.status());
  if (!ledger.value()->GetMerchant(merchant_id).ok()) {
    // Not an id: maybe a company's name as the CFPB spells it.
    if (ledger.value()->GetMerchant(CfpbMerchantId(merchant_id)).ok())
      merchant_id = CfpbMerchantId(merchant_id);
  }
  if (!as_of.empty()) {
    auto t = ParseTime(as_of);
    if (!t.ok()) return Fail(t.status());
    auto m = MerchantAsOf(ledger.value()->log(), ledger.value()->views(), merchant_id, t.value());
    if (!m.ok()) return Fail(m.status());
    PrintObject(MerchantJson(*m.value(), t.value()), Format(g));
    return 0;
  }
  auto m = ledger.value()->GetMerchant(merchant_id);
  if (!m.ok()) return Fail(m.status());
  PrintObject(MerchantJson(*m.value(), clock.value()->Now()), Format(g));
  return 0;
}

int RunStatus(const Globals& g) {
  const Clock& clock = *g.wall_clock;
  auto ledger = OpenLedger(g, clock);
  if (!ledger.ok()) return Fail(ledger.status());
  Ledger& l = *ledger.value();
  nlohmann::json j;
  j["log"] = l.log().Describe();
  j["policy"] = l.policy().version;
  uint64_t events = 0;
  nlohmann::json parts = nlohmann::json::array();
  for (PartitionId p = 0; p < l.log().partitions(); ++p) {
    auto end = l.log().EndOffset(p);
    auto applied = l.views().NextOffset(p);
    if (!end.ok() || !applied.ok()) return Fail(end.ok() ? applied.status() : end.status());
    events += end.value();
    parts.push_back(
        {{"partition", p}, {"end_offset", end.value()}, {"applied_up_to", applied.value()}});
  }
  // Embedded offsets have no gaps, so they count events; Kafka's do not.
  if (l.log().offset_kind() == OffsetKind::kDense) j["events"] = events;
  j["partitions"] = parts;
  auto t = l.LedgerTime();
  j["latest_event_at"] =
      t.ok() && t.value() > 0 ? nlohmann::json(FormatTime(t.value())) : nlohmann::json();
  PrintObject(j, Format(g));
  return 0;
}

struct TailArgs {
  std::optional<uint64_t> from;
  bool once = false;
};

volatile std::sig_atomic_t g_stop = 0;

int RunTail(const Globals& g, const TailArgs& t) {
  auto log = OpenLogOnly(g);
  if (!log.ok()) return Fail(log.status());
  EventLog& l = *log.value();
  std::vector<Offset> next(l.partitions());
  for (PartitionId p = 0; p < l.partitions(); ++p) {
    if (t.from) {
      next[p] = *t.from;
    } else {
      auto end = l.EndOffset(p);
      if (!end.ok()) return Fail(end.status());
      next[p] = end.value();
    }
  }
  std::signal(SIGINT, [](int) { g_stop = 1; });
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  EventJson renderer;
  while (!g_stop) {
    size_t printed = 0;
    for (PartitionId p = 0; p < l.partitions() && !g_stop; ++p) {
      auto records = l.Read(p, next[p], 1000);
      if (!records.ok()) return Fail(records.status());
      for (const auto& r : records.value()) {
        auto e = DecodeEvent(r.bytes, r.partition, r.offset);
        if (!e.ok()) return Fail(e.status());
        if (g.json) {
          auto j = nlohmann::json::parse(renderer.Render(r.bytes), nullptr, false);
          j["partition"] = r.partition;
          j["offset"] = r.offset;
          j.erase("prev_hash");
          j.erase("command_digest");
          fmt::print("{}\n", j.dump());
        } else {
          const auto* ev = e.value();
          fmt::print("{}  {}:{:<6} {:<30} {:<16} {:<18} {}:{}\n", FormatTime(ev->occurred_at_ms()),
                     r.partition, r.offset, PayloadName(*ev), CaseIdOf(*ev),
                     ev->partition_key() ? ev->partition_key()->str() : "",
                     ev->actor() ? RoleName(ev->actor()->role()) : "",
                     ev->actor() && ev->actor()->id() ? ev->actor()->id()->str() : "");
        }
        next[p] = r.offset + 1;
        ++printed;
      }
    }
    std::fflush(stdout);
    if (t.once) break;
    if (printed == 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return 0;
}

// What the read commands' options are bound to.
struct ReadArgs {
  std::string case_id;  // case and history
  std::string merchant_id, as_of;
  TailArgs tail;
};

}  // namespace

void AddReadCommands(CLI::App& app, Globals& g, int& rc) {
  auto args = std::make_shared<ReadArgs>();
  auto* show_case = app.add_subcommand("case", "Show a case's current state");
  show_case->add_option("case_id", args->case_id)->required();
  show_case->callback([&g, &rc, args] { rc = RunCase(g, args->case_id); });

  auto* history = app.add_subcommand(
      "history", "The audit timeline of a case: every event, who, what changed, the state after");
  history->add_option("case_id", args->case_id)->required();
  history->callback([&g, &rc, args] { rc = RunHistory(g, args->case_id); });

  auto* merchant = app.add_subcommand(
      "merchant", "A merchant's public indicators, now or as they stood at a moment");
  merchant->add_option("merchant_id", args->merchant_id)->required();
  merchant->add_option("--as-of", args->as_of,
                       "UTC time: the profile as it stood then, folded from the log");
  merchant->callback([&g, &rc, args] { rc = RunMerchant(g, args->merchant_id, args->as_of); });

  auto* status = app.add_subcommand(
      "status", "The log's partitions and lengths, the views' progress, the policy");
  status->callback([&g, &rc] { rc = RunStatus(g); });

  auto* tail =
      app.add_subcommand("tail", "Follow the events as they are appended (Ctrl-C to stop)");
  tail->add_option("--from", args->tail.from,
                   "Start at this offset in every partition (default: the end)");
  tail->add_flag("--once", args->tail.once, "Print what is there and stop, instead of following");
  tail->callback([&g, &rc, args] { rc = RunTail(g, args->tail); });
}

}  // namespace ledger::cli
