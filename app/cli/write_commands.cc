// The commands that write: one subcommand per command type (the action
// table), `submit` of whole envelopes, `tick` and `erase`.
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "app/cli/cli.h"
#include "app/ledger/key_store.h"
#include "common/data_dir.h"

namespace ledger::cli {
namespace {

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
    return Fail(
        Status::InvalidArgument("--id names one command; give ids inside each line instead"));
  }
  std::vector<ParsedCommand> parsed;
  std::vector<Outcome> outcomes(inputs.size());
  std::vector<size_t> index;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto p = type ? ledger.value()->codec().ParseBody(*type, inputs[i], g.command_id, actor->first,
                                                      actor->second)
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

// `submit FILE`: the envelopes of a file, or of stdin.
int RunSubmit(const Globals& g, const std::string& file) {
  std::vector<std::string> lines;
  if (file.empty() || file == "-") {
    lines = Bodies("-");
  } else {
    std::ifstream in(file);
    if (!in) return Fail(Status::NotFound("cannot read " + file));
    std::string line;
    while (std::getline(in, line)) {
      if (line.find_first_not_of(" \t\r") != std::string::npos) lines.push_back(line);
    }
  }
  return RunCommands(g, lines, std::nullopt);
}

// `tick --until TIME`: --until moves the clock there, as --now would.
int RunTick(Globals& g, const std::string& until) {
  if (!until.empty()) g.now = until;
  auto clock = MakeClock(g);
  if (!clock.ok()) return Fail(clock.status());
  auto ledger = OpenLedger(g, *clock.value());
  if (!ledger.ok()) return Fail(ledger.status());
  auto n = ledger.value()->Tick();
  if (!n.ok()) return Fail(n.status());
  PrintObject({{"until", FormatTime(clock.value()->Now())}, {"events", n.value()}}, Format(g));
  return 0;
}

// `erase CONSUMER`: the operator's only; the key store alone changes (no event).
int RunErase(const Globals& g, const std::string& consumer_id) {
  auto actor = ParseActor(g.actor);
  if (!actor.ok()) return Fail(actor.status());
  if (actor.value().first != fb::Role::operator_) {
    return Fail(Status::PermissionDenied(fmt::format(
        "a {} may not erase a consumer's personal data", RoleName(actor.value().first))));
  }
  if (consumer_id.empty()) return Fail(Status::InvalidArgument("erase: the consumer id is empty"));
  auto keys = KeyStore::Open(DataDir(g.data_dir).Keys());
  if (!keys.ok()) return Fail(keys.status());
  auto r = keys.value()->Erase(consumer_id);
  if (!r.ok()) return Fail(r.status());
  const bool now = r.value() == KeyStore::Erased::kNow;
  PrintObject({{"consumer_id", consumer_id}, {"erased", now ? "now" : "already"}}, Format(g));
  return 0;
}

struct ActionSpec {
  const char* name;
  fb::Command type;
  const char* help;
  const char* example;
};

const ActionSpec kActions[] = {
    {"register-merchant", fb::Command::RegisterMerchant,
     "Register a merchant holding the trust symbol (operator)",
     R"({"merchant_id":"m-1","name":"Shop","licence_date":"2024-01-10","domains":["shop.ir"],"star_level":"star2"})"},
    {"change-star-level", fb::Command::ChangeStarLevel, "Change a merchant's star level (operator)",
     R"({"merchant_id":"m-1","star_level":"star3"})"},
    {"record-violation", fb::Command::RecordViolation,
     "Record a breach of the trust-symbol rules, level 1-3",
     R"({"merchant_id":"m-1","level":2,"rule":"no price label"})"},
    {"file", fb::Command::FileComplaint, "File a complaint about a card-gateway purchase",
     R"({"merchant_id":"m-1","consumer_id":"u-1","reference_number":"R1","terminal":"T1","purchase_date":"2026-11-01","amount":1500000,"invoice_number":"INV-9","category":"non_delivery"})"},
    {"verify-transaction", fb::Command::VerifyTransaction,
     "Record the central bank's confirmation; the complaint is accepted and routed (operator)",
     R"({"case_id":"C-1"})"},
    {"reject-transaction", fb::Command::RejectTransaction,
     "Record that the transaction did not match (operator)",
     R"({"case_id":"C-1","reason":"amount mismatch"})"},
    {"respond", fb::Command::Respond, "The merchant answers",
     R"({"case_id":"C-1","message":"Shipped today"})"},
    {"reply", fb::Command::Reply, "The consumer replies; the merchant owes an answer again",
     R"({"case_id":"C-1","message":"Not received"})"},
    {"accept", fb::Command::Accept, "The consumer accepts the answer; the case closes by agreement",
     R"({"case_id":"C-1"})"},
    {"declare-sufficient", fb::Command::DeclareSufficient,
     "The merchant declares negotiation sufficient", R"({"case_id":"C-1"})"},
    {"escalate", fb::Command::Escalate, "Send the case to mediation or arbitration",
     R"({"case_id":"C-1","forum":"arbitration","fee_rate_percent":5})"},
    {"defence", fb::Command::FileDefence, "The merchant files its defence in arbitration",
     R"({"case_id":"C-1","statement":"..."})"},
    {"verdict", fb::Command::IssueVerdict, "The authority issues its verdict",
     R"({"case_id":"C-1","in_favour_of":"consumer","remedy":"refund","amount":1500000})"},
    {"remedy", fb::Command::CarryOutRemedy, "Record that the remedy was carried out",
     R"({"case_id":"C-1"})"},
    {"withdraw", fb::Command::Withdraw, "The consumer withdraws the complaint",
     R"({"case_id":"C-1","reason":"settled"})"},
    {"rate", fb::Command::Rate, "The consumer rates the handling (1-5) once the case is closed",
     R"({"case_id":"C-1","rating":4})"},
    {"suspend", fb::Command::SuspendMerchant, "Suspend a merchant at an authority's request",
     R"({"merchant_id":"m-1","reason":"review"})"},
    {"reinstate", fb::Command::ReinstateMerchant, "Reinstate a suspended merchant (operator)",
     R"({"merchant_id":"m-1","reason":"review"})"},
};

// What the write commands' options are bound to.
struct WriteArgs {
  std::vector<std::string> json = std::vector<std::string>(std::size(kActions));  // per action
  std::string submit_file;
  std::string until;
  std::string erase_consumer;
};

}  // namespace

void AddWriteCommands(CLI::App& app, Globals& g, int& rc) {
  auto args = std::make_shared<WriteArgs>();
  for (size_t i = 0; i < std::size(kActions); ++i) {
    const ActionSpec& a = kActions[i];
    auto* sub = app.add_subcommand(a.name, a.help);
    sub->add_option("json", args->json[i],
                    "The command as JSON; omitted or '-': JSON lines from stdin");
    sub->footer(fmt::format("Example:\n  ledger {} '{}'", a.name, a.example));
    sub->callback(
        [&g, &rc, args, i] { rc = RunCommands(g, Bodies(args->json[i]), kActions[i].type); });
  }

  auto* submit = app.add_subcommand("submit", "Apply command envelopes, one JSON object per line");
  submit->add_option("file", args->submit_file, "File of JSON lines; omitted or '-': stdin");
  submit->footer(
      R"(Each line: {"id":"c-1","actor":{"role":"consumer","id":"u-1"},"command_type":"Accept","command":{"case_id":"C-1"}})");
  submit->callback([&g, &rc, args] { rc = RunSubmit(g, args->submit_file); });

  auto* tick =
      app.add_subcommand("tick", "Fire every deadline and decay due by a time (default: now)");
  tick->add_option("--until", args->until, "UTC time; the clock is moved there");
  tick->callback([&g, &rc, args] { rc = RunTick(g, args->until); });

  auto* erase = app.add_subcommand(
      "erase", "Destroy a consumer's key: its names and phones become unreadable everywhere");
  erase->add_option("consumer_id", args->erase_consumer)->required();
  erase->footer(
      "Example:\n  ledger erase u-1      # the log still verifies; views and exports show the data "
      "as erased");
  erase->callback([&g, &rc, args] { rc = RunErase(g, args->erase_consumer); });
}

}  // namespace ledger::cli
