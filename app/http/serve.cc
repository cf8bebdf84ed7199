#include "app/http/serve.h"

#include <pthread.h>
#include <signal.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/ledger/timekeeper.h"
#include "engine/state.h"

namespace ledger {

namespace {
int Fail(const Status& s) {
  fmt::print(stderr, "error ({}): {}\n", CodeName(s.code()), s.message());
  return 1;
}
}  // namespace

int RunServe(const ServeOptions& options, const Clock& clock) {
  // Signals go to one thread that waits for them; every thread started from
  // here on inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A client that goes away mid-response must not kill the server.
  std::signal(SIGPIPE, SIG_IGN);

  auto ledger = Ledger::Open(options.ledger, clock);
  if (!ledger.ok()) return Fail(ledger.status());
  auto signer = TokenSigner::OpenOrCreate(TokenSigner::KeyPathFor(options.ledger.data_dir));
  if (!signer.ok()) return Fail(signer.status());
  HttpServer server(*ledger.value(), signer.value(), options.http);
  auto port = server.Bind();
  if (!port.ok()) return Fail(port.status());

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    server.Stop();
  });
  std::unique_ptr<Timekeeper> timekeeper;
  if (options.tick_ms > 0) {
    auto last_error = std::make_shared<std::string>();
    timekeeper = std::make_unique<Timekeeper>(
        *ledger.value(), options.tick_ms, [&server, last_error](const Result<size_t>& r) {
          server.RecordTick(r);
          // Say each distinct failure once, not every second.
          const std::string e = r.ok() ? "" : r.status().ToString();
          if (e != *last_error && !e.empty())
            fmt::print(stderr, "{}\n", nlohmann::json({{"timekeeper", e}}).dump());
          *last_error = e;
        });
  }
  const std::string host = options.http.host;
  fmt::print("{}\n", nlohmann::json({{"listening", fmt::format("http://{}:{}", host, port.value())},
                                     {"port", port.value()},
                                     {"log", ledger.value()->log().Describe()},
                                     {"pid", ::getpid()}})
                         .dump());
  std::fflush(stdout);
  Status served = server.Serve();
  // Wake the signal thread if the server ended on its own.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  if (timekeeper) timekeeper->Stop();
  if (!served.ok()) return Fail(served);
  fmt::print(stderr, "{}\n", nlohmann::json({{"stopped", true}}).dump());
  return 0;
}

int RunMintToken(const std::string& data_dir, const std::string& role_text, const std::string& id,
                 const std::string& ttl, bool json, const Clock& clock) {
  auto role = ParseRole(role_text);
  if (!role.ok()) return Fail(role.status());
  if (Status s = TokenSigner::ValidateId(id); !s.ok()) return Fail(s);
  auto life = ParseDuration(ttl);
  if (!life.ok()) return Fail(Status::InvalidArgument("--ttl: " + life.status().message()));
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return Fail(Status::IoError(fmt::format("cannot create {}: {}", data_dir, ec.message())));
  auto signer = TokenSigner::OpenOrCreate(TokenSigner::KeyPathFor(data_dir));
  if (!signer.ok()) return Fail(signer.status());
  Principal who{role.value(), id, clock.Now() + life.value()};
  const std::string token = signer.value().Mint(who, clock.Now());
  if (json) {
    fmt::print("{}\n", nlohmann::json({{"token", token},
                                       {"role", RoleName(who.role)},
                                       {"id", id},
                                       {"expires_at", FormatTime(who.expires_at)}})
                           .dump());
  } else {
    fmt::print("{}\n", token);
  }
  return 0;
}

}  // namespace ledger
