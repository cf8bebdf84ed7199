#include "app/cli/output.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "common/time.h"

namespace ledger {

namespace {
std::string Scalar(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "-";
  return v.dump();
}

void Flatten(const nlohmann::json& j, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& rows) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) {
      Flatten(*it, key, rows);
    } else if (it->is_array() && !it->empty() && it->front().is_object()) {
      for (size_t i = 0; i < it->size(); ++i)
        Flatten((*it)[i], fmt::format("{}[{}]", key, i), rows);
    } else {
      rows.emplace_back(key, it->is_array() ? it->dump() : Scalar(*it));
    }
  }
}

// The payload's fields that say what the event changed, as "k=v" pairs.
std::string Summary(const nlohmann::json& payload) {
  std::string out;
  for (auto it = payload.begin(); it != payload.end(); ++it) {
    if (it.key() == "case_id" || it.key() == "merchant_id") continue;
    if (it->is_null() || (it->is_string() && it->get<std::string>().empty())) continue;
    if ((it->is_number() && it->get<double>() == 0) || (it->is_boolean() && !it->get<bool>()))
      continue;
    if (!out.empty()) out += " ";
    std::string key = it.key();
    std::string v = it->is_object() || it->is_array() ? it->dump() : Scalar(*it);
    if (key.size() > 3 && key.ends_with("_ms") && it->is_number_integer()) {
      key.resize(key.size() - 3);
      v = FormatTime(it->get<int64_t>());
    }
    if (v.size() > 60) v = v.substr(0, 57) + "...";
    out += key + "=" + v;
  }
  return out;
}
}  // namespace

void PrintOutcome(const nlohmann::json& result, bool ok, OutputFormat format) {
  if (format == OutputFormat::kJson) {
    fmt::print(ok ? stdout : stderr, "{}\n", result.dump());
    return;
  }
  if (!ok) {
    fmt::print(stderr, "error ({}): {}\n", result.value("code", "error"),
               result.value("error", ""));
    return;
  }
  std::string events;
  for (const auto& e : result.value("events", nlohmann::json::array())) {
    events += (events.empty() ? "" : ", ") + e.value("type", "");
  }
  fmt::print(
      "{} {}{}{}: {}\n", result.value("replayed", false) ? "already applied" : "accepted",
      result.value("command", ""),
      result.contains("case_id") ? " case " + result["case_id"].get<std::string>() : "",
      result.contains("merchant_id") ? " merchant " + result["merchant_id"].get<std::string>() : "",
      events);
}

void PrintObject(const nlohmann::json& object, OutputFormat format) {
  if (format == OutputFormat::kJson) {
    fmt::print("{}\n", object.dump());
    return;
  }
  std::vector<std::pair<std::string, std::string>> rows;
  Flatten(object, "", rows);
  size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.first.size());
  for (const auto& [k, v] : rows) fmt::print("{:<{}}  {}\n", k, width, v);
}

ProgressPrinter::ProgressPrinter(std::string what, std::string unit)
    : what_(std::move(what)),
      unit_(std::move(unit)),
      tty_(isatty(fileno(stderr)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void ProgressPrinter::operator()(uint64_t done, uint64_t total) {
  const auto now = std::chrono::steady_clock::now();
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  const double frac =
      total ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total)) : 0;
  if (tty_) {
    if (now - last_draw_ < std::chrono::milliseconds(100) && done < total) return;
    last_draw_ = now;
    const int width = 30, filled = static_cast<int>(frac * width);
    fmt::print(stderr, "\r{} [{}{}] {:3.0f}% {}/{} {}, {:.0f} {}/s ", what_,
               std::string(filled, '#'), std::string(width - filled, ' '), frac * 100, done, total,
               unit_, rate, unit_);
    return;
  }
  const int decile = static_cast<int>(frac * 10);
  if (decile == last_decile_) return;
  last_decile_ = decile;
  fmt::print(stderr, "{}: {:.0f}% ({}/{} {}, {:.0f} {}/s)\n", what_, frac * 100, done, total, unit_,
             rate, unit_);
}

void ProgressPrinter::Finish() {
  if (tty_) fmt::print(stderr, "\n");
}

void PrintTimeline(const std::vector<TimelineEntry>& entries, OutputFormat format) {
  if (format == OutputFormat::kJson) {
    for (const auto& e : entries) {
      nlohmann::json j = e.event;
      j["partition"] = e.position.partition;
      j["offset"] = e.position.offset;
      j["state_after"] = e.state_after;
      fmt::print("{}\n", j.dump());
    }
    return;
  }
  fmt::print("{:<24} {:<22} {:<30} {:<20} {}\n", "time", "actor", "event", "status after",
             "changed");
  for (const auto& e : entries) {
    const auto& ev = e.event;
    const std::string actor =
        ev.contains("actor")
            ? fmt::format("{}:{}", ev["actor"].value("role", ""), ev["actor"].value("id", ""))
            : "-";
    fmt::print("{:<24} {:<22} {:<30} {:<20} {}\n",
               FormatTime(ev.value("occurred_at_ms", int64_t{0})), actor,
               ev.value("payload_type", ""), e.state_after.value("status", ""),
               Summary(ev.value("payload", nlohmann::json::object())));
  }
}

}  // namespace ledger
