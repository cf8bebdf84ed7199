// GET /v1/events: new events as server-sent events, for light subscribers.
// Each message's id is a cursor ("p:offset,p:offset,..." : the next offset
// of every partition); a client that reconnects with Last-Event-ID (or
// ?from=) resumes exactly there. A caller sees only events it may see: the
// operator all, a merchant those of its partition key, a consumer or an
// authority those of the cases it is a party to.
#include <chrono>

#include <fmt/format.h>

#include "app/http/api.h"
#include "engine/decide.h"
#include "engine/event_subject.h"
#include "events/codec.h"
#include "replay/event_json.h"

namespace ledger::http {

namespace {

constexpr size_t kReadBatch = 256;
constexpr int kKeepAliveMs = 15000;

Result<std::vector<Offset>> ParseCursor(const std::string& text, EventLog& log) {
  std::vector<Offset> next(log.partitions());
  if (text.empty() || text == "end") {
    for (PartitionId p = 0; p < log.partitions(); ++p) {
      LEDGER_ASSIGN_OR_RETURN(next[p], log.EndOffset(p));
    }
    return next;
  }
  if (text == "start") return next;
  std::vector<bool> seen(log.partitions(), false);
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, comma - pos);
    unsigned p = 0;
    unsigned long long o = 0;
    int used = 0;
    if (std::sscanf(item.c_str(), "%u:%llu%n", &p, &o, &used) != 2 ||
        used != static_cast<int>(item.size()) || p >= log.partitions() || seen[p]) {
      return Status::InvalidArgument(fmt::format(
          "cursor '{}': expected start, end or PARTITION:OFFSET,... for each of {} partitions",
          text, log.partitions()));
    }
    seen[p] = true;
    next[p] = o;
    pos = comma + 1;
  }
  for (PartitionId p = 0; p < log.partitions(); ++p) {
    if (!seen[p])
      return Status::InvalidArgument(fmt::format("cursor '{}': partition {} is missing", text, p));
  }
  return next;
}

std::string CursorOf(const std::vector<Offset>& next) {
  std::string s;
  for (size_t p = 0; p < next.size(); ++p) s += fmt::format("{}{}:{}", p ? "," : "", p, next[p]);
  return s;
}

struct Stream {
  Principal who;
  std::vector<Offset> next;
  std::chrono::steady_clock::time_point deadline, last_write;
  uint64_t seen = 0;
  EventJson renderer;
};

bool Visible(Api& api, const Principal& who, const fb::Event& e) {
  if (who.role == fb::Role::operator_ || who.role == fb::Role::merchant) {
    return MayReadEvent(who.role, who.id, e, nullptr);
  }
  const std::string case_id(CaseIdOf(e));
  if (case_id.empty()) return MayReadEvent(who.role, who.id, e, nullptr);
  auto c = api.ledger.GetCase(case_id);
  return MayReadEvent(who.role, who.id, e, c.ok() ? c.value().get() : nullptr);
}

// Writes what is new; false when the client is gone or the log failed.
bool Pump(Api& api, Stream& s, httplib::DataSink& sink, bool& wrote) {
  EventLog& log = api.ledger.log();
  for (PartitionId p = 0; p < log.partitions(); ++p) {
    auto records = log.Read(p, s.next[p], kReadBatch);
    if (!records.ok()) return false;
    for (const auto& r : records.value()) {
      s.next[p] = r.offset + 1;
      auto e = DecodeEvent(r.bytes, r.partition, r.offset);
      if (!e.ok() || !Visible(api, s.who, *e.value())) continue;
      auto j = nlohmann::json::parse(s.renderer.Render(r.bytes), nullptr, false);
      j.erase("prev_hash");
      j.erase("command_digest");
      j["partition"] = r.partition;
      j["offset"] = r.offset;
      const std::string msg =
          fmt::format("id: {}\nevent: {}\ndata: {}\n\n", CursorOf(s.next), PayloadName(*e.value()),
                      j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      if (!sink.write(msg.data(), msg.size())) return false;
      wrote = true;
    }
  }
  return true;
}

void GetEvents(Api& api, Call& call) {
  std::string from = call.req.has_param("from") ? call.req.get_param_value("from") : "";
  if (call.req.has_header("Last-Event-ID")) from = call.req.get_header_value("Last-Event-ID");
  auto next = ParseCursor(from, api.ledger.log());
  if (!next.ok()) return SendStatus(call, next.status());
  int wait_s = api.options.max_stream_s;
  if (call.req.has_param("wait")) {
    const std::string v = call.req.get_param_value("wait");
    if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(v) > api.options.max_stream_s) {
      return SendError(call, 400, "invalid_argument",
                       fmt::format("query parameter wait='{}': expected 0..{} seconds", v,
                                   api.options.max_stream_s));
    }
    wait_s = std::stoi(v);
  }
  if (api.open_streams.fetch_add(1) >= api.options.max_streams) {
    api.open_streams.fetch_sub(1);
    return SendError(
        call, 503, "too_many_streams",
        fmt::format("{} event streams are open already; retry later", api.options.max_streams));
  }
  auto s = std::make_shared<Stream>();
  s->who = *call.who;
  s->next = std::move(next).value();
  s->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  s->seen = api.appended();
  call.res.set_header("Cache-Control", "no-store");
  call.res.set_header("X-Accel-Buffering", "no");
  Api* a = &api;
  call.res.set_chunked_content_provider(
      "text/event-stream",
      [a, s](size_t offset, httplib::DataSink& sink) {
        const auto now = std::chrono::steady_clock::now();
        if (offset == 0) {
          const std::string hello = fmt::format(": cursor {}\nretry: 1000\n\n", CursorOf(s->next));
          s->last_write = now;
          return sink.write(hello.data(), hello.size());
        }
        bool wrote = false;
        if (!Pump(*a, *s, sink, wrote)) return false;
        if (a->stopping.load() || now >= s->deadline) {
          sink.done();
          return true;
        }
        if (wrote) {
          s->last_write = now;
          return true;
        }
        if (now - s->last_write > std::chrono::milliseconds(kKeepAliveMs)) {
          s->last_write = now;
          return sink.write(": keep-alive\n\n", 14);
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(s->deadline - now).count();
        // Woken by this process's appends; other writers are seen within a second.
        s->seen = a->WaitAppended(s->seen, static_cast<int>(std::min<int64_t>(left, 1000)));
        return true;
      },
      [a](bool) { a->StreamClosed(); });
}

}  // namespace

std::vector<Route> StreamRoutes() { return {{{"GET", "/v1/events", Access::kToken}, &GetEvents}}; }

}  // namespace ledger::http
