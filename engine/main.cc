// `ledger`: the command line of the complaint ledger.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fstream>
#include <fmt/format.h>

#include "engine/cli_output.h"
#include "engine/demo.h"
#include "engine/service.h"
#include "projections/views.h"
#include "replay/history.h"

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
  return Ledger::Open(o, clock);
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
    PrintObject(CaseJson(*c.value()), Format(g));
  });

  auto* history = app.add_subcommand("history", "The audit timeline of a case: every event, who, what changed, the state after");
  history->add_option("case_id", case_id)->required();
  history->callback([&] {
    SystemClock clock;
    auto ledger = OpenLedger(g, clock);
    if (!ledger.ok()) { rc = Fail(ledger.status()); return; }
    EventJson renderer;
    auto h = CaseHistory(ledger.value()->log(), ledger.value()->views(), case_id, renderer);
    if (!h.ok()) { rc = Fail(h.status()); return; }
    PrintTimeline(h.value(), Format(g));
  });

  std::string merchant_id;
  auto* merchant = app.add_subcommand("merchant", "A merchant's public indicators, now");
  merchant->add_option("merchant_id", merchant_id)->required();
  merchant->callback([&] {
    auto clock = MakeClock(g);
    if (!clock.ok()) { rc = Fail(clock.status()); return; }
    auto ledger = OpenLedger(g, *clock.value());
    if (!ledger.ok()) { rc = Fail(ledger.status()); return; }
    auto m = ledger.value()->GetMerchant(merchant_id);
    if (!m.ok()) { rc = Fail(m.status()); return; }
    PrintObject(MerchantJson(*m.value(), clock.value()->Now()), Format(g));
  });

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
      parts.push_back({{"partition", p}, {"events", end.value()}, {"applied", applied.value()}});
    }
    j["events"] = events;
    j["partitions"] = parts;
    auto t = l.LedgerTime();
    j["latest_event_at"] = t.ok() && t.value() > 0 ? nlohmann::json(FormatTime(t.value())) : nlohmann::json();
    PrintObject(j, Format(g));
  });

  auto* demo = app.add_subcommand("demo", "Register merchants, drive complaints through their whole life, print history and indicators");
  demo->callback([&] { rc = RunDemo(g.data_dir, Format(g) == OutputFormat::kJson); });

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
