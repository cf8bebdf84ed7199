// The long-running and whole-system commands: a simulated workload, a
// projector in a Kafka consumer group, the HTTP server, its bearer tokens,
// and the guided demo.
#include <atomic>
#include <csignal>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "app/cli/cli.h"
#include "app/cli/demo.h"
#include "app/http/serve.h"
#include "app/workload/workload.h"
#include "common/hex.h"
#include "events/open_log.h"
#include "projections/group_projector.h"

namespace ledger::cli {
namespace {

// `simulate`: the workload on a manual clock it moves itself.
int RunSimulate(const Globals& g, WorkloadOptions& sim, double step_minutes) {
  ManualClock clock(0);
  auto ledger = OpenLedger(g, clock);
  if (!ledger.ok()) return Fail(ledger.status());
  sim.step = static_cast<TimeMs>(step_minutes * 60000);
  if (sim.step <= 0) return Fail(Status::InvalidArgument("--step-minutes must be positive"));
  ProgressPrinter progress("simulate");
  auto r = RunWorkload(*ledger.value(), clock, sim,
                       [&](uint64_t done, uint64_t total) { progress(done, total); });
  progress.Finish();
  if (!r.ok()) return Fail(r.status());
  nlohmann::json j = r->ToJson();
  uint64_t events = 0;
  for (PartitionId p = 0; p < ledger.value()->log().partitions(); ++p)
    events += ledger.value()->log().EndOffset(p).value();
  j["log_events"] = events;
  j["simulated_until"] = FormatTime(clock.Now());
  PrintObject(j, Format(g));
  return 0;
}

// `project`: runs until SIGINT or SIGTERM, or --idle-exit seconds without an event.
int RunProject(const Globals& g, const std::string& group, double idle_exit) {
  auto k = ParseKafkaUri(g.log_uri);
  if (!k.ok())
    return Fail(Status::InvalidArgument("project needs --log kafka://HOST:PORT[/TOPIC]"));
  GroupProjectorOptions po;
  po.kafka = k.value();
  po.group = group;
  po.views_dir = ViewsDirFor({g.log_uri, g.data_dir, g.partitions});
  po.idle_exit_ms = static_cast<int>(idle_exit * 1000);
  static std::atomic<bool> stop{false};
  std::signal(SIGINT, [](int) { stop = true; });
  std::signal(SIGTERM, [](int) { stop = true; });
  auto r = RunGroupProjector(po, stop);
  if (!r.ok()) return Fail(r.status());
  PrintObject({{"applied", r->applied},
               {"owned_partitions", r->owned},
               {"digest", HexOf(r->digest)},
               {"views", po.views_dir}},
              Format(g));
  return 0;
}

// `serve`: the global options name the ledger; the write timeout follows the read timeout.
int RunServeCommand(const Globals& g, ServeOptions& opts, double tick_s) {
  opts.ledger.data_dir = g.data_dir;
  opts.ledger.policy = g.policy;
  opts.ledger.partitions = g.partitions;
  opts.ledger.log_uri = g.log_uri;
  opts.http.write_timeout_s = opts.http.read_timeout_s;
  opts.tick_ms = static_cast<int64_t>(tick_s * 1000);
  auto clock = MakeClock(g);
  if (!clock.ok()) return Fail(clock.status());
  return RunServe(opts, *clock.value());
}

struct SimulateArgs {
  WorkloadOptions sim;
  double step_minutes = 60;
};

struct ProjectArgs {
  std::string group = "ledger-projectors";
  double idle_exit = 0;
};

struct ServeArgs {
  ServeOptions opts;
  double tick_s = 1;
};

struct TokenArgs {
  std::string role, id, ttl = "1h";
};

void AddSimulateCommand(CLI::App& app, Globals& g, int& rc) {
  auto args = std::make_shared<SimulateArgs>();
  WorkloadOptions& sim = args->sim;
  auto* simulate = app.add_subcommand(
      "simulate",
      "Drive a seeded, realistic workload through the real command path (eNamad scale by default)");
  simulate->add_option("--seed", sim.seed)->capture_default_str();
  simulate->add_option("--merchants", sim.merchants)->capture_default_str();
  simulate->add_option("--complaints-per-month", sim.complaints_per_month)->capture_default_str();
  simulate->add_option("--months", sim.months)->capture_default_str();
  simulate
      ->add_option("--start", sim.start,
                   "UTC date the simulated time starts (or the ledger's latest time)")
      ->capture_default_str();
  simulate->add_option("--max-events", sim.max_events,
                       "Stop once about this many events were written");
  simulate
      ->add_option("--step-minutes", args->step_minutes,
                   "Commands within a step share one durable batch")
      ->capture_default_str();
  simulate->callback([&g, &rc, args] { rc = RunSimulate(g, args->sim, args->step_minutes); });
}

void AddProjectCommand(CLI::App& app, Globals& g, int& rc) {
  auto args = std::make_shared<ProjectArgs>();
  auto* project = app.add_subcommand("project",
                                     "Run a projector in a Kafka consumer group: processes of one "
                                     "group share the topic's partitions");
  project->add_option("--group", args->group, "Consumer group id")->capture_default_str();
  project->add_option("--idle-exit", args->idle_exit,
                      "Stop after this many seconds without a new event (0: run until Ctrl-C)");
  project->callback([&g, &rc, args] { rc = RunProject(g, args->group, args->idle_exit); });
}

void AddServeCommand(CLI::App& app, Globals& g, int& rc) {
  auto args = std::make_shared<ServeArgs>();
  HttpOptions& http = args->opts.http;
  auto* serve =
      app.add_subcommand("serve",
                         "Serve the HTTP API (JSON under /v1, public profiles, events stream) "
                         "until SIGINT or SIGTERM");
  serve->add_option("--host", http.host, "Address to listen on")->capture_default_str();
  serve->add_option("--port", http.port, "Port (0: any free port; the startup line says which)")
      ->capture_default_str();
  serve->add_option("--threads", http.threads, "Connections served at once")->capture_default_str();
  serve->add_option("--max-body", http.max_body_bytes, "Largest request body, bytes")
      ->capture_default_str();
  serve->add_option("--rate", http.rate_per_s, "Requests a second per caller (0: no limit)")
      ->capture_default_str();
  serve->add_option("--burst", http.burst, "Burst per caller")->capture_default_str();
  serve
      ->add_option("--public-rate", http.public_rate_per_s,
                   "Requests a second per client address on public routes (0: no limit)")
      ->capture_default_str();
  serve->add_option("--public-burst", http.public_burst, "Burst per address on public routes")
      ->capture_default_str();
  serve->add_option("--timeout", http.read_timeout_s, "Read timeout for slow clients, seconds")
      ->capture_default_str();
  serve->add_option("--public-url", http.public_url, "Base URL in tracking links and QR codes");
  serve->add_option("--tick", args->tick_s, "Timekeeper period, seconds (0: none)")
      ->capture_default_str();
  serve->add_flag("!--no-access-log", http.access_log, "No JSON access log on stderr");
  serve->callback([&g, &rc, args] { rc = RunServeCommand(g, args->opts, args->tick_s); });
}

void AddTokenCommand(CLI::App& app, Globals& g, int& rc) {
  auto args = std::make_shared<TokenArgs>();
  auto* token = app.add_subcommand("token",
                                   "Mint a bearer token for the HTTP API, signed with this data "
                                   "directory's key (created on first use, mode 0600)");
  token->add_option("--role", args->role, "consumer, merchant, authority or operator")->required();
  token
      ->add_option("--id", args->id,
                   "The consumer's, merchant's or authority's id (any id for an operator)")
      ->required();
  token->add_option("--ttl", args->ttl, "Lifetime: 90s, 15m, 1h, 7d")->capture_default_str();
  token->callback([&g, &rc, args] {
    auto clock = MakeClock(g);
    if (!clock.ok()) {
      rc = Fail(clock.status());
      return;
    }
    rc = RunMintToken(g.data_dir, args->role, args->id, args->ttl, g.json, *clock.value());
  });
}

void AddDemoCommand(CLI::App& app, Globals& g, int& rc) {
  auto months = std::make_shared<uint32_t>(12);
  auto* demo = app.add_subcommand("demo",
                                  "Register merchants, drive complaints through their whole life, "
                                  "print history and indicators");
  demo->add_option("--months", *months,
                   "Months simulated at eNamad scale after the guided cases (0: none)")
      ->capture_default_str();
  demo->callback([&g, &rc, months] {
    rc = RunDemo(g.data_dir, g.log_uri, Format(g) == OutputFormat::kJson, *months);
  });
}

}  // namespace

void AddRunCommands(CLI::App& app, Globals& g, int& rc) {
  AddSimulateCommand(app, g, rc);
  AddProjectCommand(app, g, rc);
  AddServeCommand(app, g, rc);
  AddTokenCommand(app, g, rc);
  AddDemoCommand(app, g, rc);
}

}  // namespace ledger::cli
