// `ledger`: the command line of the complaint ledger.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fstream>
#include <fmt/format.h>

#include "app/workload/workload.h"
#include "app/import/cfpb_csv.h"
#include "app/import/cfpb_import.h"
#include "app/cli/output.h"
#include "app/cli/demo.h"
#include "app/http/serve.h"
#include "app/ledger/service.h"
#include "projections/views.h"
#include "events/codec.h"
#include "events/open_log.h"
#include "projections/group_projector.h"
#include "projections/queries.h"
#include "replay/chain.h"
#include "replay/history.h"
#include "replay/replay.h"
#include "engine/event_subject.h"
#include "replay/event_json.h"
#include "app/ledger/key_store.h"

namespace ledger {
namespace {

struct Globals {
  std::string data_dir;
  std::string policy;
  std::string now;
  std::string actor = "operator:centre";
  std::string command_id;
  bool json = false;
  uint32_t partitions = 6;
  std::string log_uri;
};

OutputFormat Format(const Globals& g) { return g.json ? OutputFormat::kJson : OutputFormat::kTable; }

int Fail(const Status& s) {
  fmt::print(stderr, "error ({}): {}\n", CodeName(s.code()), s.message());
  return 1;
}

// The clock the command runs on: the system clock, or the time given by --now.
Result<std::unique_ptr<Clock>> MakeClock(const Globals& g) {
  if (g.now.empty()) return std::unique_ptr<Clock>(new SystemClock());
  LEDGER_ASSIGN_OR_RETURN(TimeMs t, ParseTime(g.now));
  return std::unique_ptr<Clock>(new ManualClock(t));
}

Result<std::unique_ptr<Ledger>> OpenLedger(const Globals& g, const Clock& clock) {
  LedgerOptions o;
  o.data_dir = g.data_dir;
  o.policy = g.policy;
  o.partitions = g.partitions;
  o.log_uri = g.log_uri;
  return Ledger::Open(o, clock);
}

// The key store when the command acts as the operator (who may see
// consumers' names and phones), else null: personal data is left out.
const ConsumerKeys* OperatorKeys(const Globals& g, const Ledger& ledger) {
  return g.actor.rfind("operator:", 0) == 0 ? ledger.keys() : nullptr;
}

Result<std::pair<fb::Role, std::string>> ParseActor(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    return Status::InvalidArgument(fmt::format("--as '{}': expected ROLE:ID, e.g. consumer:u-17", text));
  }
  const std::string role = text.substr(0, colon);
  for (auto r : fb::EnumValuesRole()) {
    if (role == RoleName(r) && r != fb::Role::system) return std::make_pair(r, text.substr(colon + 1));
  }
  return Status::InvalidArgument(fmt::format(
      "--as '{}': role must be consumer, merchant, operator or authority", text));
}

// Reads the JSON bodies: the argument, or stdin (one per line; blank lines skipped).
std::vector<std::string> Bodies(const std::string& arg) {
  std::vector<std::string> out;
  if (!arg.empty() && arg != "-") {
    out.push_back(arg);
    return out;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) out.push_back(line);
  }
  return out;
}

int RunCommands(const Globals& g, const std::vector<std::string>& inputs,
                std::optional<fb::Command> type) {
  auto clock = MakeClock(g);
  if (!clock.ok()) return Fail(clock.status());
  auto ledger = OpenLedger(g, *clock.value());
  if (!ledger.ok()) return Fail(ledger.status());
  auto actor = ParseActor(g.actor);
  if (!actor.ok()) return Fail(actor.status());
  if (inputs.empty()) return Fail(Status::InvalidArgument("no command given (argument or stdin)"));
  if (!g.command_id.empty() && inputs.size() > 1) {
    return Fail(Status::InvalidArgument("--id names one command; give ids inside each line instead"));
  }
  std::vector<ParsedCommand> parsed;
  std::vector<Outcome> outcomes(inputs.size());
  std::vector<size_t> index;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto p = type ? ledger.value()->codec().ParseBody(*type, inputs[i], g.command_id,
                                                      actor->first, actor->second)
                  : ledger.value()->codec().ParseEnvelope(inputs[i]);
    if (!p.ok()) {
      outcomes[i].status = p.status();
      outcomes[i].result = {{"error", fmt::format("line {}: {}", i + 1, p.status().message())},
                            {"code", CodeName(p.status().code())}};
      continue;
    }
    parsed.push_back(std::move(p.value()));
    index.push_back(i);
  }
  auto results = ledger.value()->Submit(parsed);
  for (size_t k = 0; k < results.size(); ++k) outcomes[index[k]] = std::move(results[k]);
  int rc = 0;
  for (const auto& o : outcomes) {
    PrintOutcome(o.result, o.status.ok(), Format(g));
    if (!o.status.ok()) rc = 1;
  }
  return rc;
}

struct ExportArgs {
  ExportFilter filter;
  std::vector<std::string> types;
  std::string from, to, format = "jsonl";
};

struct QueryArgs {
  std::string indicator = "unanswered";
  size_t limit = 20;
  std::string status, authority, merchant, from_month, to_month;
  std::vector<std::string> by = {"month"};
  bool list = false;
};

Result<std::unique_ptr<EventLog>> OpenLogOnly(const Globals& g) {
  return OpenEventLog({g.log_uri, g.data_dir, g.partitions});
}

int RunRebuild(const Globals& g) {
  auto log = OpenLogOnly(g);
  if (!log.ok()) return Fail(log.status());
  ProgressPrinter progress("rebuild");
  auto r = Rebuild(*log.value(), ViewsDirFor({g.log_uri, g.data_dir, g.partitions}),
                   [&](uint64_t done, uint64_t total) { progress(done, total); });
  progress.Finish();
  if (!r.ok()) return Fail(r.status());
  const double rate = r->seconds > 0 ? static_cast<double>(r->events) / r->seconds : 0;
  const double replay_rate = r->replay_seconds > 0 ? static_cast<double>(r->events) / r->replay_seconds : 0;
  PrintObject({{"events", r->events}, {"seconds", r->seconds}, {"events_per_s", rate},
               {"replay_seconds", r->replay_seconds}, {"replay_events_per_s", replay_rate},
               {"flush_seconds", r->flush_seconds}, {"digest_seconds", r->digest_seconds},
               {"bytes", r->bytes},
               {"digest", HexOf(r->digest)}}, Format(g));
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
    return Fail(Status::InvalidArgument(fmt::format("{} has {} partitions, {} has {}: they must be equal",
                                                    target.value()->Describe(), target.value()->partitions(),
                                                    from.value()->Describe(), from.value()->partitions())));
  }
  for (PartitionId p = 0; p < target.value()->partitions(); ++p) {
    auto first = target.value()->Read(p, 0, 1);
    if (!first.ok()) return Fail(first.status());
    if (!first.value().empty()) {
      return Fail(Status::Conflict(fmt::format("{} partition {} is not empty: copy only into a new log",
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
        out.push_back({e.value()->partition_key() ? e.value()->partition_key()->str() : "", std::move(r.bytes)});
      }
      next = records.value().back().offset + 1;
      const size_t n = out.size();
      auto positions = target.value()->Append(std::move(out));
      if (!positions.ok()) return Fail(positions.status());
      for (const auto& pos : positions.value()) {
        if (pos.partition != p) {
          return Fail(Status::Corruption(fmt::format("a record of partition {} went to partition {} of {}", p,
                                                     pos.partition, target.value()->Describe())));
        }
      }
      copied += n;
      progress(copied, total);
    }
  }
  progress.Finish();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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
    out.push_back({{"partition", h.partition}, {"records", h.records}, {"last_offset", h.last_offset},
                   {"head", HexOf(h.head)}});
  }
  return out;
}

int RunVerify(const Globals& g) {
  SystemClock clock;
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
  PrintObject({{"ok", true}, {"events", r->events}, {"events_compared", r->applied}, {"partitions", parts},
               {"digest", HexOf(r->live_digest)},
               {"chain_heads", HeadsJson(r->heads)}},
              Format(g));
  return 0;
}

// The log alone, for the checkpoint commands: an embedded log must already
// exist (nothing is created where none was).
Result<std::unique_ptr<EventLog>> OpenExistingLog(const Globals& g) {
  if ((g.log_uri.empty() || g.log_uri == "embedded") &&
      !std::filesystem::exists(std::filesystem::path(g.data_dir) / "log")) {
    return Status::NotFound(fmt::format("{}: no ledger here (no log/ folder)", g.data_dir));
  }
  return OpenEventLog({g.log_uri, g.data_dir, g.partitions});
}

int RunCheckpointKeygen(const std::string& key_path) {
  auto pk = GenerateCheckpointKey(key_path);
  if (!pk.ok()) return Fail(pk.status());
  PrintObject({{"secret_key", key_path}, {"public_key_file", key_path + ".pub"},
               {"public_key", HexOf(pk->data(), pk->size())}}, OutputFormat::kJson);
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
  const std::string doc = SignCheckpoint(heads.value(), FormatTime(clock.value()->Now()), secret.value());
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
  nlohmann::json out = {{"signature", "valid"}, {"signed_at", cp->signed_at}, {"partitions", HeadsJson(cp->heads)}};
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

// `erase CONSUMER`: the operator's only; the key store alone changes (no event).
int RunErase(const Globals& g, const std::string& consumer_id) {
  auto actor = ParseActor(g.actor);
  if (!actor.ok()) return Fail(actor.status());
  if (actor.value().first != fb::Role::operator_) {
    return Fail(Status::PermissionDenied(fmt::format("a {} may not erase a consumer's personal data",
                                                     RoleName(actor.value().first))));
  }
  if (consumer_id.empty()) return Fail(Status::InvalidArgument("erase: the consumer id is empty"));
  auto keys = KeyStore::Open(KeysDirFor(g.data_dir));
  if (!keys.ok()) return Fail(keys.status());
  auto r = keys.value()->Erase(consumer_id);
  if (!r.ok()) return Fail(r.status());
  const bool now = r.value() == KeyStore::Erased::kNow;
  PrintObject({{"consumer_id", consumer_id}, {"erased", now ? "now" : "already"}}, Format(g));
  return 0;
}

int RunExport(const Globals& g, ExportArgs& ex) {
  SystemClock clock;
  auto ledger = OpenLedger(g, clock);
  if (!ledger.ok()) return Fail(ledger.status());
  ex.filter.types.insert(ex.types.begin(), ex.types.end());
  for (const auto& t : ex.filter.types) {
    bool known = false;
    for (auto p : fb::EnumValuesPayload()) known = known || t == fb::EnumNamePayload(p);
    if (!known || t == "NONE") return Fail(Status::InvalidArgument(fmt::format("--type {}: no such event type", t)));
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
                  ex.format == "csv" ? ExportFormat::kCsv : ExportFormat::kJsonLines, renderer, std::cout);
  std::cout.flush();
  if (!n.ok()) return Fail(n.status());
  fmt::print(stderr, "exported {} events\n", n.value());
  return 0;
}

// `import cfpb`: a ManualClock the importer sets to each row's date. A new
// data directory gets the cfpb policy unless --policy says otherwise.
int RunImportCfpb(Globals g, const std::vector<std::string>& files, const std::string& as_of) {
  if (g.policy.empty() && !std::filesystem::exists(std::filesystem::path(g.data_dir) / "policy.json")) {
    g.policy = "cfpb";
  }
  CfpbImportOptions options;
  options.files = files;
  if (!as_of.empty()) {
    auto t = ParseTime(as_of);
    if (!t.ok()) return Fail(t.status());
    options.as_of = t.value();
  }
  ManualClock clock(0);
  auto ledger = OpenLedger(g, clock);
  if (!ledger.ok()) return Fail(ledger.status());
  ProgressPrinter progress("import cfpb", "rows");
  options.progress = [&](uint64_t done, uint64_t total) { progress(done, total); };
  auto summary = ImportCfpb(*ledger.value(), clock, options);
  progress.Finish();
  if (!summary.ok()) return Fail(summary.status());
  for (const auto& r : (*summary)["rejected"]) {
    fmt::print(stderr, "rejected: {} line {}: {}\n", r["file"].get<std::string>(), r["line"].get<uint64_t>(),
               r["reason"].get<std::string>());
  }
  fmt::print("{}\n", summary->dump());
  return (*summary)["file_errors"].get<uint64_t>() > 0 ? 1 : 0;
}

int RunExportCfpb(const Globals& g, const std::string& merchant) {
  SystemClock clock;
  auto ledger = OpenLedger(g, clock);
  if (!ledger.ok()) return Fail(ledger.status());
  std::string id = merchant;
  if (!id.empty()) {
    // A merchant id, or a company's name as the source spells it.
    auto m = ledger.value()->GetMerchant(id);
    if (!m.ok()) id = CfpbMerchantId(merchant);
  }
  auto n = ExportCfpb(ledger.value()->log(), id, std::cout);
  std::cout.flush();
  if (!n.ok()) return Fail(n.status());
  fmt::print(stderr, "exported {} complaints\n", n.value());
  return 0;
}

void PrintRows(const nlohmann::json& rows, OutputFormat format) {
  if (format == OutputFormat::kJson || !rows.is_array() || rows.empty()) {
    fmt::print("{}\n", rows.dump());
    return;
  }
  std::vector<std::string> cols;
  for (auto it = rows[0].begin(); it != rows[0].end(); ++it) cols.push_back(it.key());
  std::vector<size_t> width(cols.size());
  auto cell = [](const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.is_null() ? "-" : v.dump(); };
  for (size_t c = 0; c < cols.size(); ++c) {
    width[c] = cols[c].size();
    for (const auto& r : rows) width[c] = std::max(width[c], cell(r.value(cols[c], nlohmann::json())).size());
  }
  for (size_t c = 0; c < cols.size(); ++c) fmt::print("{:<{}}  ", cols[c], width[c]);
  fmt::print("\n");
  for (const auto& r : rows) {
    for (size_t c = 0; c < cols.size(); ++c) fmt::print("{:<{}}  ", cell(r.value(cols[c], nlohmann::json())), width[c]);
    fmt::print("\n");
  }
}

int RunQuery(const Globals& g, const std::string& what, const QueryArgs& q) {
  auto clock = MakeClock(g);
  if (!clock.ok()) return Fail(clock.status());
  auto ledger = OpenLedger(g, *clock.value());
  if (!ledger.ok()) return Fail(ledger.status());
  const ViewStore& views = ledger.value()->views();
  Result<nlohmann::json> r = Status::InvalidArgument("unknown query " + what);
  if (what == "rank") r = RankMerchants(views, q.indicator, q.limit, clock.value()->Now());
  if (what == "open") r = OpenCases(views, q.status, q.authority, q.list, q.limit);
  if (what == "analytics") r = ComplaintAnalytics(views, q.by, q.from_month, q.to_month);
  if (what == "response-times") r = ResponseTimes(views, q.merchant);
  if (what == "merchants") r = MerchantSummaries(views);
  if (!r.ok()) return Fail(r.status());
  if (r->is_object() && r->contains("counts")) {
    PrintRows((*r)["counts"], Format(g));
    PrintRows((*r)["cases"], Format(g));
  } else if (r->is_object()) {
    PrintObject(*r, Format(g));
  } else {
    PrintRows(*r, Format(g));
  }
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
          fmt::print("{}  {}:{:<6} {:<30} {:<16} {:<18} {}:{}\n", FormatTime(ev->occurred_at_ms()), r.partition,
                     r.offset, PayloadName(*ev), CaseIdOf(*ev),
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

struct ActionSpec {
  const char* name;
  fb::Command type;
  const char* help;
  const char* example;
};

const ActionSpec kActions[] = {
    {"register-merchant", fb::Command::RegisterMerchant, "Register a merchant holding the trust symbol (operator)",
     R"({"merchant_id":"m-1","name":"Shop","licence_date":"2024-01-10","domains":["shop.ir"],"star_level":"star2"})"},
    {"change-star-level", fb::Command::ChangeStarLevel, "Change a merchant's star level (operator)",
     R"({"merchant_id":"m-1","star_level":"star3"})"},
    {"record-violation", fb::Command::RecordViolation, "Record a breach of the trust-symbol rules, level 1-3",
     R"({"merchant_id":"m-1","level":2,"rule":"no price label"})"},
    {"file", fb::Command::FileComplaint, "File a complaint about a card-gateway purchase",
     R"({"merchant_id":"m-1","consumer_id":"u-1","reference_number":"R1","terminal":"T1","purchase_date":"2026-11-01","amount":1500000,"invoice_number":"INV-9","category":"non_delivery"})"},
    {"verify-transaction", fb::Command::VerifyTransaction, "Record the central bank's confirmation; the complaint is accepted and routed (operator)",
     R"({"case_id":"C-1"})"},
    {"reject-transaction", fb::Command::RejectTransaction, "Record that the transaction did not match (operator)",
     R"({"case_id":"C-1","reason":"amount mismatch"})"},
    {"respond", fb::Command::Respond, "The merchant answers", R"({"case_id":"C-1","message":"Shipped today"})"},
    {"reply", fb::Command::Reply, "The consumer replies; the merchant owes an answer again", R"({"case_id":"C-1","message":"Not received"})"},
    {"accept", fb::Command::Accept, "The consumer accepts the answer; the case closes by agreement", R"({"case_id":"C-1"})"},
    {"declare-sufficient", fb::Command::DeclareSufficient, "The merchant declares negotiation sufficient", R"({"case_id":"C-1"})"},
    {"escalate", fb::Command::Escalate, "Send the case to mediation or arbitration",
     R"({"case_id":"C-1","forum":"arbitration","fee_rate_percent":5})"},
    {"defence", fb::Command::FileDefence, "The merchant files its defence in arbitration", R"({"case_id":"C-1","statement":"..."})"},
    {"verdict", fb::Command::IssueVerdict, "The authority issues its verdict",
     R"({"case_id":"C-1","in_favour_of":"consumer","remedy":"refund","amount":1500000})"},
    {"remedy", fb::Command::CarryOutRemedy, "Record that the remedy was carried out", R"({"case_id":"C-1"})"},
    {"withdraw", fb::Command::Withdraw, "The consumer withdraws the complaint", R"({"case_id":"C-1","reason":"settled"})"},
    {"rate", fb::Command::Rate, "The consumer rates the handling (1-5) once the case is closed", R"({"case_id":"C-1","rating":4})"},
    {"suspend", fb::Command::SuspendMerchant, "Suspend a merchant at an authority's request", R"({"merchant_id":"m-1","reason":"review"})"},
    {"reinstate", fb::Command::ReinstateMerchant, "Reinstate a suspended merchant (operator)", R"({"merchant_id":"m-1","reason":"review"})"},
};

int Main(int argc, char** argv) {
  CLI::App app{"ledger: every action on a consumer complaint as an immutable event; "
               "case state and merchant indicators rebuilt from them."};
  app.require_subcommand(1);
  // Global options (--json, --data, ...) may also follow the subcommand.
  app.fallthrough();
  Globals g;
  const char* env_data = std::getenv("LEDGER_DATA");
  g.data_dir = env_data ? env_data : "./ledger-data";
  app.add_option("--data", g.data_dir, "Data directory (default ./ledger-data, or $LEDGER_DATA)");
  app.add_option("--policy", g.policy, "Policy profile (enamad, cfpb) or policy file; default: the ledger's own");
  app.add_option("--now", g.now, "Act as if the time were this (UTC), instead of the system clock");
  app.add_option("--as", g.actor, "Who acts, ROLE:ID (consumer, merchant, operator, authority)")
      ->capture_default_str();
  app.add_option("--id", g.command_id, "Command id (idempotency key) for a single command");
  app.add_flag("--json", g.json, "Print JSON instead of tables");
  app.add_option("--log", g.log_uri, "The event log: embedded (default) or kafka://HOST:PORT[/TOPIC]");
  app.add_option("--partitions", g.partitions, "Partitions of a new embedded log")->capture_default_str();

  int rc = 0;
  std::vector<std::string> json_args(std::size(kActions));
  for (size_t i = 0; i < std::size(kActions); ++i) {
    const ActionSpec& a = kActions[i];
    auto* sub = app.add_subcommand(a.name, a.help);
    sub->add_option("json", json_args[i], "The command as JSON; omitted or '-': JSON lines from stdin");
    sub->footer(fmt::format("Example:\n  ledger {} '{}'", a.name, a.example));
    sub->callback([&, i] { rc = RunCommands(g, Bodies(json_args[i]), kActions[i].type); });
  }

  std::string submit_file;
  auto* submit = app.add_subcommand("submit", "Apply command envelopes, one JSON object per line");
  submit->add_option("file", submit_file, "File of JSON lines; omitted or '-': stdin");
  submit->footer(R"(Each line: {"id":"c-1","actor":{"role":"consumer","id":"u-1"},"command_type":"Accept","command":{"case_id":"C-1"}})");
  submit->callback([&] {
    std::vector<std::string> lines;
    if (submit_file.empty() || submit_file == "-") {
      lines = Bodies("-");
    } else {
      std::ifstream in(submit_file);
      if (!in) {
        rc = Fail(Status::NotFound("cannot read " + submit_file));
        return;
      }
      std::string line;
      while (std::getline(in, line)) {
        if (line.find_first_not_of(" \t\r") != std::string::npos) lines.push_back(line);
      }
    }
    rc = RunCommands(g, lines, std::nullopt);
  });

  std::string until;
  auto* tick = app.add_subcommand("tick", "Fire every deadline and decay due by a time (default: now)");
  tick->add_option("--until", until, "UTC time; the clock is moved there");
  tick->callback([&] {
    if (!until.empty()) g.now = until;
    auto clock = MakeClock(g);
    if (!clock.ok()) { rc = Fail(clock.status()); return; }
    auto ledger = OpenLedger(g, *clock.value());
    if (!ledger.ok()) { rc = Fail(ledger.status()); return; }
    auto n = ledger.value()->Tick();
    if (!n.ok()) { rc = Fail(n.status()); return; }
    PrintObject({{"until", FormatTime(clock.value()->Now())}, {"events", n.value()}}, Format(g));
  });

  std::string case_id;
  auto* show_case = app.add_subcommand("case", "Show a case's current state");
  show_case->add_option("case_id", case_id)->required();
  show_case->callback([&] {
    SystemClock clock;
    auto ledger = OpenLedger(g, clock);
    if (!ledger.ok()) { rc = Fail(ledger.status()); return; }
    auto c = ledger.value()->GetCase(case_id);
    if (!c.ok()) { rc = Fail(c.status()); return; }
    nlohmann::json j = CaseJson(*c.value());
    RevealPersonalData(j, c.value()->consumer_id, c.value()->consumer_name_sealed, c.value()->consumer_phone_sealed,
                       OperatorKeys(g, *ledger.value()));
    PrintObject(j, Format(g));
  });

  auto* history = app.add_subcommand("history", "The audit timeline of a case: every event, who, what changed, the state after");
  history->add_option("case_id", case_id)->required();
  history->callback([&] {
    SystemClock clock;
    auto ledger = OpenLedger(g, clock);
    if (!ledger.ok()) { rc = Fail(ledger.status()); return; }
    EventJson renderer(OperatorKeys(g, *ledger.value()));
    auto h = CaseHistory(ledger.value()->log(), ledger.value()->views(), case_id, renderer);
    if (!h.ok()) { rc = Fail(h.status()); return; }
    PrintTimeline(h.value(), Format(g));
  });

  std::string erase_consumer;
  auto* erase = app.add_subcommand("erase", "Destroy a consumer's key: its names and phones become unreadable everywhere");
  erase->add_option("consumer_id", erase_consumer)->required();
  erase->footer("Example:\n  ledger erase u-1      # the log still verifies; views and exports show the data as erased");
  erase->callback([&] { rc = RunErase(g, erase_consumer); });

  std::string merchant_id, as_of;
  auto* merchant = app.add_subcommand("merchant", "A merchant's public indicators, now or as they stood at a moment");
  merchant->add_option("merchant_id", merchant_id)->required();
  merchant->add_option("--as-of", as_of, "UTC time: the profile as it stood then, folded from the log");
  merchant->callback([&] {
    auto clock = MakeClock(g);
    if (!clock.ok()) { rc = Fail(clock.status()); return; }
    auto ledger = OpenLedger(g, *clock.value());
    if (!ledger.ok()) { rc = Fail(ledger.status()); return; }
    if (!ledger.value()->GetMerchant(merchant_id).ok()) {
      // Not an id: maybe a company's name as the CFPB spells it.
      if (ledger.value()->GetMerchant(CfpbMerchantId(merchant_id)).ok()) merchant_id = CfpbMerchantId(merchant_id);
    }
    if (!as_of.empty()) {
      auto t = ParseTime(as_of);
      if (!t.ok()) { rc = Fail(t.status()); return; }
      auto m = MerchantAsOf(ledger.value()->log(), ledger.value()->views(), merchant_id, t.value());
      if (!m.ok()) { rc = Fail(m.status()); return; }
      PrintObject(MerchantJson(*m.value(), t.value()), Format(g));
      return;
    }
    auto m = ledger.value()->GetMerchant(merchant_id);
    if (!m.ok()) { rc = Fail(m.status()); return; }
    PrintObject(MerchantJson(*m.value(), clock.value()->Now()), Format(g));
  });

  auto* rebuild = app.add_subcommand("rebuild", "Replay the whole log into fresh views beside the live ones, then swap");
  rebuild->callback([&] { rc = RunRebuild(g); });

  std::string copy_to;
  size_t copy_batch = 10000;
  auto* copy = app.add_subcommand("copy-log", "Copy every record of the log, byte for byte, into a new empty log");
  copy->add_option("--to", copy_to, "The new log: kafka://HOST:PORT/TOPIC (a topic not yet written)")->required();
  copy->add_option("--batch", copy_batch, "Records per append (one transaction on Kafka)")->capture_default_str();
  copy->footer("Example:\n  ledger --data ./ledger-data copy-log --to kafka://127.0.0.1:9092/complaints.events");
  copy->callback([&] { rc = RunCopyLog(g, copy_to, copy_batch); });

  auto* verify = app.add_subcommand("verify",
                                    "Check every partition's hash chain and that a rebuild equals the live views");
  verify->callback([&] { rc = RunVerify(g); });

  std::string cp_key, cp_out, cp_file, cp_public;
  bool cp_signature_only = false;
  auto* checkpoint = app.add_subcommand(
      "checkpoint", "Signed checkpoints: each partition's chain head, signed with Ed25519, checkable by an outside "
                    "auditor with the public key alone");
  checkpoint->require_subcommand(1);
  auto* cp_keygen = checkpoint->add_subcommand("keygen", "Make a key pair: KEY (secret, mode 600) and KEY.pub (PEM)");
  cp_keygen->add_option("--key", cp_key, "Where to write the secret key (never overwritten)")->required();
  cp_keygen->callback([&] { rc = RunCheckpointKeygen(cp_key); });
  auto* cp_sign = checkpoint->add_subcommand("sign", "Check every chain, then sign their heads");
  cp_sign->add_option("--key", cp_key, "The secret key from `checkpoint keygen`")->required();
  cp_sign->add_option("--out", cp_out, "Write the checkpoint here (default: standard output)");
  cp_sign->callback([&] { rc = RunCheckpointSign(g, cp_key, cp_out); });
  auto* cp_check = checkpoint->add_subcommand(
      "check", "Check a checkpoint's signature, then that the log's chains still pass through its heads");
  cp_check->add_option("FILE", cp_file, "The checkpoint")->required();
  cp_check->add_option("--public-key", cp_public, "KEY.pub (PEM) or 64 hex digits")->required();
  cp_check->add_flag("--signature-only", cp_signature_only, "Check the signature alone; the log is not read");
  cp_check->footer("Example:\n  ledger checkpoint keygen --key centre.key\n"
                   "  ledger --data ./ledger-data checkpoint sign --key centre.key --out cp-2026-12.json\n"
                   "  ledger --data ./ledger-data checkpoint check cp-2026-12.json --public-key centre.key.pub");
  cp_check->callback([&] { rc = RunCheckpointCheck(g, cp_file, cp_public, cp_signature_only); });

  ExportArgs ex;
  auto* exp = app.add_subcommand("export", "Events as JSON lines or CSV, filtered");
  exp->add_option("--merchant", ex.filter.merchant_id, "Only this merchant's events");
  exp->add_option("--case", ex.filter.case_id, "Only this case's events");
  exp->add_option("--type", ex.types, "Only these event types (e.g. ResponseDeadlineMissed)");
  exp->add_option("--from", ex.from, "From this UTC time (inclusive)");
  exp->add_option("--to", ex.to, "Until this UTC time (exclusive)");
  exp->add_option("--format", ex.format, "jsonl or csv")->check(CLI::IsMember({"jsonl", "csv"}))->capture_default_str();
  std::string cfpb_merchant;
  auto* exp_cfpb = exp->add_subcommand("cfpb", "Imported CFPB complaints as CSV in the modern 18-column layout");
  exp_cfpb->add_option("--merchant", cfpb_merchant, "Only this merchant (id, or the company's name)");
  exp_cfpb->callback([&] { rc = RunExportCfpb(g, cfpb_merchant); });
  exp->callback([&] {
    if (exp_cfpb->parsed()) return;
    rc = RunExport(g, ex);
  });

  std::vector<std::string> import_files;
  std::string import_as_of;
  auto* imp = app.add_subcommand("import", "Import complaints from outside");
  imp->require_subcommand(1);
  auto* imp_cfpb = imp->add_subcommand("cfpb", "The CFPB's public complaint database (CSV, any of its layouts)");
  imp_cfpb->add_option("files", import_files, "CSV files; all rows are sorted by date received")->required();
  imp_cfpb->add_option("--as-of", import_as_of,
                       "When the timekeeper judges open complaints (default: the day after the latest date)");
  imp_cfpb->footer("Example:\n  ledger --data ./cfpb-data import cfpb complaints.csv --as-of 2020-03-20");
  imp_cfpb->callback([&] { rc = RunImportCfpb(g, import_files, import_as_of); });

  QueryArgs q;
  auto* query = app.add_subcommand("query", "Queries for analysts");
  query->require_subcommand(1);
  auto* rank = query->add_subcommand("rank", "Merchants ranked by an indicator");
  rank->add_option("--by", q.indicator, "unanswered, unresolved, delays, violations, complaints, open_complaints, "
                                         "delays_total, resolved")->capture_default_str();
  rank->add_option("--limit", q.limit)->capture_default_str();
  rank->callback([&] { rc = RunQuery(g, "rank", q); });
  auto* open = query->add_subcommand("open", "Open cases by state and authority");
  open->add_option("--state", q.status, "Only this state (e.g. awaiting_response)");
  open->add_option("--authority", q.authority, "Only this authority");
  open->add_flag("--list", q.list, "List the case ids too");
  open->add_option("--limit", q.limit)->capture_default_str();
  open->callback([&] { rc = RunQuery(g, "open", q); });
  auto* analytics = query->add_subcommand("analytics", "Accepted complaints by month, category, authority, region");
  analytics->add_option("--by", q.by, "Dimensions: month, category, authority, region; for imported CFPB "
                                      "complaints: month, product, issue, state, channel, company_response")->delimiter(',');
  analytics->add_option("--from-month", q.from_month, "YYYY-MM");
  analytics->add_option("--to-month", q.to_month, "YYYY-MM");
  analytics->callback([&] { rc = RunQuery(g, "analytics", q); });
  auto* rt = query->add_subcommand("response-times", "First-response time percentiles, of a merchant or of all");
  rt->add_option("--merchant", q.merchant);
  rt->callback([&] { rc = RunQuery(g, "response-times", q); });
  auto* merchants = query->add_subcommand("merchants", "Every merchant: complaints, open, timely, untimely, disputed");
  merchants->callback([&] { rc = RunQuery(g, "merchants", q); });

  auto* status = app.add_subcommand("status", "The log's partitions and lengths, the views' progress, the policy");
  status->callback([&] {
    SystemClock clock;
    auto ledger = OpenLedger(g, clock);
    if (!ledger.ok()) { rc = Fail(ledger.status()); return; }
    Ledger& l = *ledger.value();
    nlohmann::json j;
    j["log"] = l.log().Describe();
    j["policy"] = l.policy().version;
    uint64_t events = 0;
    nlohmann::json parts = nlohmann::json::array();
    for (PartitionId p = 0; p < l.log().partitions(); ++p) {
      auto end = l.log().EndOffset(p);
      auto applied = l.views().NextOffset(p);
      if (!end.ok() || !applied.ok()) { rc = Fail(end.ok() ? applied.status() : end.status()); return; }
      events += end.value();
      parts.push_back({{"partition", p}, {"end_offset", end.value()}, {"applied_up_to", applied.value()}});
    }
    // Embedded offsets have no gaps, so they count events; Kafka's do not.
    if (l.log().Describe().rfind("embedded:", 0) == 0) j["events"] = events;
    j["partitions"] = parts;
    auto t = l.LedgerTime();
    j["latest_event_at"] = t.ok() && t.value() > 0 ? nlohmann::json(FormatTime(t.value())) : nlohmann::json();
    PrintObject(j, Format(g));
  });

  WorkloadOptions sim;
  double step_minutes = 60;
  auto* simulate = app.add_subcommand("simulate",
      "Drive a seeded, realistic workload through the real command path (eNamad scale by default)");
  simulate->add_option("--seed", sim.seed)->capture_default_str();
  simulate->add_option("--merchants", sim.merchants)->capture_default_str();
  simulate->add_option("--complaints-per-month", sim.complaints_per_month)->capture_default_str();
  simulate->add_option("--months", sim.months)->capture_default_str();
  simulate->add_option("--start", sim.start, "UTC date the simulated time starts (or the ledger's latest time)")
      ->capture_default_str();
  simulate->add_option("--max-events", sim.max_events, "Stop once about this many events were written");
  simulate->add_option("--step-minutes", step_minutes, "Commands within a step share one durable batch")
      ->capture_default_str();
  simulate->callback([&] {
    ManualClock clock(0);
    auto ledger = OpenLedger(g, clock);
    if (!ledger.ok()) { rc = Fail(ledger.status()); return; }
    sim.step = static_cast<TimeMs>(step_minutes * 60000);
    if (sim.step <= 0) { rc = Fail(Status::InvalidArgument("--step-minutes must be positive")); return; }
    ProgressPrinter progress("simulate");
    auto r = RunWorkload(*ledger.value(), clock, sim, [&](uint64_t done, uint64_t total) { progress(done, total); });
    progress.Finish();
    if (!r.ok()) { rc = Fail(r.status()); return; }
    nlohmann::json j = r->ToJson();
    uint64_t events = 0;
    for (PartitionId p = 0; p < ledger.value()->log().partitions(); ++p) events += ledger.value()->log().EndOffset(p).value();
    j["log_events"] = events;
    j["simulated_until"] = FormatTime(clock.Now());
    PrintObject(j, Format(g));
  });

  std::string group = "ledger-projectors";
  double idle_exit = 0;
  auto* project = app.add_subcommand("project",
      "Run a projector in a Kafka consumer group: processes of one group share the topic's partitions");
  project->add_option("--group", group, "Consumer group id")->capture_default_str();
  project->add_option("--idle-exit", idle_exit, "Stop after this many seconds without a new event (0: run until Ctrl-C)");
  project->callback([&] {
    auto k = ParseKafkaUri(g.log_uri);
    if (!k.ok()) { rc = Fail(Status::InvalidArgument("project needs --log kafka://HOST:PORT[/TOPIC]")); return; }
    GroupProjectorOptions po;
    po.kafka = k.value();
    po.group = group;
    po.views_dir = ViewsDirFor({g.log_uri, g.data_dir, g.partitions});
    po.idle_exit_ms = static_cast<int>(idle_exit * 1000);
    static std::atomic<bool> stop{false};
    std::signal(SIGINT, [](int) { stop = true; });
    std::signal(SIGTERM, [](int) { stop = true; });
    auto r = RunGroupProjector(po, stop);
    if (!r.ok()) { rc = Fail(r.status()); return; }
    PrintObject({{"applied", r->applied}, {"owned_partitions", r->owned}, {"digest", HexOf(r->digest)},
                 {"views", po.views_dir}}, Format(g));
  });

  ServeOptions serve_opts;
  double serve_tick_s = 1;
  auto* serve = app.add_subcommand("serve", "Serve the HTTP API (JSON under /v1, public profiles, events stream) "
                                            "until SIGINT or SIGTERM");
  serve->add_option("--host", serve_opts.http.host, "Address to listen on")->capture_default_str();
  serve->add_option("--port", serve_opts.http.port, "Port (0: any free port; the startup line says which)")
      ->capture_default_str();
  serve->add_option("--threads", serve_opts.http.threads, "Connections served at once")->capture_default_str();
  serve->add_option("--max-body", serve_opts.http.max_body_bytes, "Largest request body, bytes")->capture_default_str();
  serve->add_option("--rate", serve_opts.http.rate_per_s, "Requests a second per caller (0: no limit)")
      ->capture_default_str();
  serve->add_option("--burst", serve_opts.http.burst, "Burst per caller")->capture_default_str();
  serve->add_option("--public-rate", serve_opts.http.public_rate_per_s,
                    "Requests a second per client address on public routes (0: no limit)")->capture_default_str();
  serve->add_option("--public-burst", serve_opts.http.public_burst, "Burst per address on public routes")
      ->capture_default_str();
  serve->add_option("--timeout", serve_opts.http.read_timeout_s, "Read timeout for slow clients, seconds")
      ->capture_default_str();
  serve->add_option("--public-url", serve_opts.http.public_url, "Base URL in tracking links and QR codes");
  serve->add_option("--tick", serve_tick_s, "Timekeeper period, seconds (0: none)")->capture_default_str();
  serve->add_flag("!--no-access-log", serve_opts.http.access_log, "No JSON access log on stderr");
  serve->callback([&] {
    serve_opts.ledger.data_dir = g.data_dir;
    serve_opts.ledger.policy = g.policy;
    serve_opts.ledger.partitions = g.partitions;
    serve_opts.ledger.log_uri = g.log_uri;
    serve_opts.http.write_timeout_s = serve_opts.http.read_timeout_s;
    serve_opts.tick_ms = static_cast<int64_t>(serve_tick_s * 1000);
    auto clock = MakeClock(g);
    if (!clock.ok()) { rc = Fail(clock.status()); return; }
    rc = RunServe(serve_opts, *clock.value());
  });

  std::string token_role, token_id, token_ttl = "1h";
  auto* token = app.add_subcommand("token", "Mint a bearer token for the HTTP API, signed with this data "
                                            "directory's key (created on first use, mode 0600)");
  token->add_option("--role", token_role, "consumer, merchant, authority or operator")->required();
  token->add_option("--id", token_id, "The consumer's, merchant's or authority's id (any id for an operator)")
      ->required();
  token->add_option("--ttl", token_ttl, "Lifetime: 90s, 15m, 1h, 7d")->capture_default_str();
  token->callback([&] {
    auto clock = MakeClock(g);
    if (!clock.ok()) { rc = Fail(clock.status()); return; }
    rc = RunMintToken(g.data_dir, token_role, token_id, token_ttl, g.json, *clock.value());
  });

  TailArgs tail_args;
  auto* tail = app.add_subcommand("tail", "Follow the events as they are appended (Ctrl-C to stop)");
  tail->add_option("--from", tail_args.from, "Start at this offset in every partition (default: the end)");
  tail->add_flag("--once", tail_args.once, "Print what is there and stop, instead of following");
  tail->callback([&] { rc = RunTail(g, tail_args); });

  auto* demo = app.add_subcommand("demo", "Register merchants, drive complaints through their whole life, print history and indicators");
  uint32_t demo_months = 12;
  demo->add_option("--months", demo_months, "Months simulated at eNamad scale after the guided cases (0: none)")
      ->capture_default_str();
  demo->callback([&] { rc = RunDemo(g.data_dir, g.log_uri, Format(g) == OutputFormat::kJson, demo_months); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return rc;
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) { return ledger::Main(argc, argv); }
