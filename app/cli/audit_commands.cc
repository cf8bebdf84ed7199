// The auditor's commands: rebuild the views from the log, copy the log,
// verify every chain against the views, signed checkpoints of the chain
// heads, and the export of events.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/cli/cli.h"
#include "common/hex.h"
#include "events/codec.h"
#include "events/open_log.h"
#include "replay/chain.h"
#include "replay/event_json.h"
#include "replay/replay.h"

namespace ledger::cli {
namespace {

int RunRebuild(const Globals& g) {
  auto log = OpenLogOnly(g);
  if (!log.ok()) return Fail(log.status());
  ProgressPrinter progress("rebuild");
  auto r = Rebuild(*log.value(), ViewsDirFor({g.log_uri, g.data_dir, g.partitions}),
                   [&](uint64_t done, uint64_t total) { progress(done, total); });
  progress.Finish();
  if (!r.ok()) return Fail(r.status());
  const double rate = r->seconds > 0 ? static_cast<double>(r->events) / r->seconds : 0;
  const double replay_rate =
      r->replay_seconds > 0 ? static_cast<double>(r->events) / r->replay_seconds : 0;
  PrintObject({{"events", r->events},
               {"seconds", r->seconds},
               {"events_per_s", rate},
               {"replay_seconds", r->replay_seconds},
               {"replay_events_per_s", replay_rate},
               {"flush_seconds", r->flush_seconds},
               {"digest_seconds", r->digest_seconds},
               {"bytes", r->bytes},
               {"digest", HexOf(r->digest)}},
              Format(g));
  return 0;
}

// Copies every record of the ledger's log, byte for byte and in order, into
// an empty log with as many partitions (e.g. embedded -> Kafka).
int RunCopyLog(const Globals& g, const std::string& to, size_t batch) {
  auto from = OpenLogOnly(g);
  if (!from.ok()) return Fail(from.status());
  auto target = OpenEventLog({to, g.data_dir, from.value()->partitions()});
  if (!target.ok()) return Fail(target.status());
  if (target.value()->partitions() != from.value()->partitions()) {
    return Fail(Status::InvalidArgument(fmt::format(
        "{} has {} partitions, {} has {}: they must be equal", target.value()->Describe(),
        target.value()->partitions(), from.value()->Describe(), from.value()->partitions())));
  }
  for (PartitionId p = 0; p < target.value()->partitions(); ++p) {
    auto first = target.value()->Read(p, 0, 1);
    if (!first.ok()) return Fail(first.status());
    if (!first.value().empty()) {
      return Fail(
          Status::Conflict(fmt::format("{} partition {} is not empty: copy only into a new log",
                                       target.value()->Describe(), p)));
    }
  }
  ProgressPrinter progress("copy-log");
  uint64_t total = 0, copied = 0;
  for (PartitionId p = 0; p < from.value()->partitions(); ++p) {
    auto end = from.value()->EndOffset(p);
    if (end.ok()) total += end.value();
  }
  const auto start = std::chrono::steady_clock::now();
  for (PartitionId p = 0; p < from.value()->partitions(); ++p) {
    Offset next = 0;
    for (;;) {
      auto records = from.value()->Read(p, next, batch);
      if (!records.ok()) return Fail(records.status());
      if (records.value().empty()) break;
      std::vector<PendingRecord> out;
      out.reserve(records.value().size());
      for (auto& r : records.value()) {
        auto e = DecodeEvent(r.bytes, p, r.offset);
        if (!e.ok()) return Fail(e.status());
        out.push_back({e.value()->partition_key() ? e.value()->partition_key()->str() : "",
                       std::move(r.bytes)});
      }
      next = records.value().back().offset + 1;
      const size_t n = out.size();
      auto positions = target.value()->Append(std::move(out));
      if (!positions.ok()) return Fail(positions.status());
      for (const auto& pos : positions.value()) {
        if (pos.partition != p) {
          return Fail(
              Status::Corruption(fmt::format("a record of partition {} went to partition {} of {}",
                                             p, pos.partition, target.value()->Describe())));
        }
      }
      copied += n;
      progress(copied, total);
    }
  }
  progress.Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::json out;
  out["records"] = copied;
  out["seconds"] = seconds;
  out["to"] = target.value()->Describe();
  PrintObject(out, Format(g));
  return 0;
}

nlohmann::json HeadsJson(const std::vector<ChainHead>& heads) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : heads) {
    out.push_back({{"partition", h.partition},
                   {"records", h.records},
                   {"last_offset", h.last_offset},
                   {"head", HexOf(h.head)}});
  }
  return out;
}

int RunVerify(const Globals& g) {
  const Clock& clock = *g.wall_clock;
  auto ledger = OpenLedger(g, clock);
  if (!ledger.ok()) return Fail(ledger.status());
  ProgressPrinter progress("verify");
  auto r = Verify(ledger.value()->log(), ledger.value()->views(),
                  ViewsDirFor({g.log_uri, g.data_dir, g.partitions}) + ".verify",
                  [&](uint64_t done, uint64_t total) { progress(done, total); });
  progress.Finish();
  if (!r.ok()) return Fail(r.status());
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& [p, n] : r->partitions) parts.push_back({{"partition", p}, {"records", n}});
  PrintObject({{"ok", true},
               {"events", r->events},
               {"events_compared", r->applied},
               {"partitions", parts},
               {"digest", HexOf(r->live_digest)},
               {"chain_heads", HeadsJson(r->heads)}},
              Format(g));
  return 0;
}

int RunCheckpointKeygen(const std::string& key_path) {
  auto pk = GenerateCheckpointKey(key_path);
  if (!pk.ok()) return Fail(pk.status());
  PrintObject({{"secret_key", key_path},
               {"public_key_file", key_path + ".pub"},
               {"public_key", HexOf(pk->data(), pk->size())}},
              OutputFormat::kJson);
  return 0;
}

int RunCheckpointSign(const Globals& g, const std::string& key_path, const std::string& out_path) {
  auto clock = MakeClock(g);
  if (!clock.ok()) return Fail(clock.status());
  auto secret = LoadCheckpointSecret(key_path);
  if (!secret.ok()) return Fail(secret.status());
  auto log = OpenExistingLog(g);
  if (!log.ok()) return Fail(log.status());
  // Only a log whose chains are whole is signed.
  auto heads = WalkChains(*log.value());
  if (!heads.ok()) return Fail(heads.status());
  const std::string doc =
      SignCheckpoint(heads.value(), FormatTime(clock.value()->Now()), secret.value());
  if (out_path.empty() || out_path == "-") {
    fmt::print("{}", doc);
    return 0;
  }
  const std::string tmp = out_path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << doc;
    out.close();
    if (!out) return Fail(Status::IoError(fmt::format("cannot write {}", tmp)));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, out_path, ec);
  if (ec) return Fail(Status::IoError(fmt::format("cannot write {}: {}", out_path, ec.message())));
  fmt::print(stderr, "checkpoint of {} partitions written to {}\n", heads->size(), out_path);
  return 0;
}

int RunCheckpointCheck(const Globals& g, const std::string& file, const std::string& public_key,
                       bool signature_only) {
  auto key = LoadCheckpointPublic(public_key);
  if (!key.ok()) return Fail(key.status());
  std::ifstream in(file, std::ios::binary);
  if (!in) return Fail(Status::NotFound(fmt::format("{}: cannot open the checkpoint", file)));
  std::stringstream text;
  text << in.rdbuf();
  auto cp = CheckCheckpointSignature(text.str(), key.value());
  if (!cp.ok()) return Fail(cp.status());
  nlohmann::json out = {
      {"signature", "valid"}, {"signed_at", cp->signed_at}, {"partitions", HeadsJson(cp->heads)}};
  if (!signature_only) {
    auto log = OpenExistingLog(g);
    if (!log.ok()) return Fail(log.status());
    auto heads = WalkChains(*log.value(), &cp->heads);
    if (!heads.ok()) return Fail(heads.status());
    uint64_t later = 0;
    for (size_t p = 0; p < heads->size(); ++p) later += (*heads)[p].records - cp->heads[p].records;
    out["log"] = "contains the checkpoint";
    out["records_after_checkpoint"] = later;
  }
  PrintObject(out, OutputFormat::kJson);
  return 0;
}

struct ExportArgs {
  ExportFilter filter;
  std::vector<std::string> types;
  std::string from, to, format = "jsonl";
};

int RunExport(const Globals& g, ExportArgs& ex) {
  const Clock& clock = *g.wall_clock;
  auto ledger = OpenLedger(g, clock);
  if (!ledger.ok()) return Fail(ledger.status());
  ex.filter.types.insert(ex.types.begin(), ex.types.end());
  for (const auto& t : ex.filter.types) {
    bool known = false;
    for (auto p : fb::EnumValuesPayload()) known = known || t == fb::EnumNamePayload(p);
    if (!known || t == "NONE")
      return Fail(Status::InvalidArgument(fmt::format("--type {}: no such event type", t)));
  }
  if (!ex.from.empty()) {
    auto t = ParseTime(ex.from);
    if (!t.ok()) return Fail(t.status());
    ex.filter.from = t.value();
  }
  if (!ex.to.empty()) {
    auto t = ParseTime(ex.to);
    if (!t.ok()) return Fail(t.status());
    ex.filter.to = t.value();
  }
  EventJson renderer(OperatorKeys(g, *ledger.value()));
  auto n = Export(ledger.value()->log(), ledger.value()->views(), ex.filter,
                  ex.format == "csv" ? ExportFormat::kCsv : ExportFormat::kJsonLines, renderer,
                  std::cout);
  std::cout.flush();
  if (!n.ok()) return Fail(n.status());
  fmt::print(stderr, "exported {} events\n", n.value());
  return 0;
}

struct CopyLogArgs {
  std::string to;
  size_t batch = 10000;
};

struct CheckpointArgs {
  std::string key, out, file, public_key;
  bool signature_only = false;
};

void AddCopyLogCommand(CLI::App& app, Globals& g, int& rc) {
  auto args = std::make_shared<CopyLogArgs>();
  auto* copy = app.add_subcommand(
      "copy-log", "Copy every record of the log, byte for byte, into a new empty log");
  copy->add_option("--to", args->to,
                   "The new log: kafka://HOST:PORT/TOPIC (a topic not yet written)")
      ->required();
  copy->add_option("--batch", args->batch, "Records per append (one transaction on Kafka)")
      ->capture_default_str();
  copy->footer(
      "Example:\n  ledger --data ./ledger-data copy-log --to "
      "kafka://127.0.0.1:9092/complaints.events");
  copy->callback([&g, &rc, args] { rc = RunCopyLog(g, args->to, args->batch); });
}

void AddCheckpointCommands(CLI::App& app, Globals& g, int& rc) {
  auto args = std::make_shared<CheckpointArgs>();
  auto* checkpoint = app.add_subcommand("checkpoint",
                                        "Signed checkpoints: each partition's chain head, signed "
                                        "with Ed25519, checkable by an outside "
                                        "auditor with the public key alone");
  checkpoint->require_subcommand(1);
  auto* keygen = checkpoint->add_subcommand(
      "keygen", "Make a key pair: KEY (secret, mode 600) and KEY.pub (PEM)");
  keygen->add_option("--key", args->key, "Where to write the secret key (never overwritten)")
      ->required();
  keygen->callback([&rc, args] { rc = RunCheckpointKeygen(args->key); });
  auto* sign = checkpoint->add_subcommand("sign", "Check every chain, then sign their heads");
  sign->add_option("--key", args->key, "The secret key from `checkpoint keygen`")->required();
  sign->add_option("--out", args->out, "Write the checkpoint here (default: standard output)");
  sign->callback([&g, &rc, args] { rc = RunCheckpointSign(g, args->key, args->out); });
  auto* check = checkpoint->add_subcommand(
      "check",
      "Check a checkpoint's signature, then that the log's chains still pass through its heads");
  check->add_option("FILE", args->file, "The checkpoint")->required();
  check->add_option("--public-key", args->public_key, "KEY.pub (PEM) or 64 hex digits")->required();
  check->add_flag("--signature-only", args->signature_only,
                  "Check the signature alone; the log is not read");
  check->footer(
      "Example:\n  ledger checkpoint keygen --key centre.key\n"
      "  ledger --data ./ledger-data checkpoint sign --key centre.key --out cp-2026-12.json\n"
      "  ledger --data ./ledger-data checkpoint check cp-2026-12.json --public-key centre.key.pub");
  check->callback([&g, &rc, args] {
    rc = RunCheckpointCheck(g, args->file, args->public_key, args->signature_only);
  });
}

void AddExportCommand(CLI::App& app, Globals& g, int& rc) {
  auto ex = std::make_shared<ExportArgs>();
  auto* exp = app.add_subcommand("export", "Events as JSON lines or CSV, filtered");
  exp->add_option("--merchant", ex->filter.merchant_id, "Only this merchant's events");
  exp->add_option("--case", ex->filter.case_id, "Only this case's events");
  exp->add_option("--type", ex->types, "Only these event types (e.g. ResponseDeadlineMissed)");
  exp->add_option("--from", ex->from, "From this UTC time (inclusive)");
  exp->add_option("--to", ex->to, "Until this UTC time (exclusive)");
  exp->add_option("--format", ex->format, "jsonl or csv")
      ->check(CLI::IsMember({"jsonl", "csv"}))
      ->capture_default_str();
  exp->callback([&g, &rc, ex, exp] {
    // A subcommand of export (`export cfpb`, import_commands.cc) ran instead.
    if (!exp->get_subcommands().empty()) return;
    rc = RunExport(g, *ex);
  });
}

}  // namespace

void AddAuditCommands(CLI::App& app, Globals& g, int& rc) {
  auto* rebuild = app.add_subcommand(
      "rebuild", "Replay the whole log into fresh views beside the live ones, then swap");
  rebuild->callback([&g, &rc] { rc = RunRebuild(g); });
  AddCopyLogCommand(app, g, rc);
  auto* verify = app.add_subcommand(
      "verify", "Check every partition's hash chain and that a rebuild equals the live views");
  verify->callback([&g, &rc] { rc = RunVerify(g); });
  AddCheckpointCommands(app, g, rc);
  AddExportCommand(app, g, rc);
}

}  // namespace ledger::cli
