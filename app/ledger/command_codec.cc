#include "app/ledger/command_codec.h"

#include <flatbuffers/idl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <nlohmann/json.hpp>

#include "commands_bfbs_generated.h"
#include "common/schema_json.h"
#include "engine/state.h"

namespace ledger {

namespace {

// "1: 206: error: unknown field: bogus" -> "unknown field: bogus (line 1, column 206)"
std::string TidyParserError(const std::string& e) {
  const auto pos = e.find("error: ");
  if (pos == std::string::npos) return e;
  std::string what = e.substr(pos + 7);
  while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
  int line = 0, col = 0;
  if (std::sscanf(e.c_str(), "%d: %d", &line, &col) == 2) {
    return fmt::format("{} (line {}, column {})", what, line, col);
  }
  return what;
}

}  // namespace

std::string JsonQuote(std::string_view s) { return nlohmann::json(std::string(s)).dump(); }

CommandCodec::CommandCodec()
    : parser_(MakeSchemaParser(fb::CommandEnvelopeBinarySchema::data(),
                               fb::CommandEnvelopeBinarySchema::size(), "CommandEnvelope")) {}
CommandCodec::~CommandCodec() = default;

Result<ParsedCommand> CommandCodec::ParseEnvelope(std::string_view json) const {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string text(json);
  if (!parser_->ParseJson(text.c_str())) {
    return Status::InvalidArgument("bad command JSON: " + TidyParserError(parser_->error_));
  }
  ParsedCommand out;
  out.bytes.assign(reinterpret_cast<const char*>(parser_->builder_.GetBufferPointer()),
                   parser_->builder_.GetSize());
  const auto* env = out.envelope();
  if (env->command_type() == fb::Command::NONE || env->command() == nullptr) {
    return Status::InvalidArgument(
        "bad command JSON: 'command_type' and 'command' are required (e.g. \"command_type\": "
        "\"FileComplaint\", \"command\": {...})");
  }
  if (env->actor()->id() == nullptr || env->actor()->id()->size() == 0) {
    return Status::InvalidArgument("bad command JSON: actor.id is required");
  }
  std::string canonical;
  const auto* filing = env->command_as_FileComplaint();
  if (filing != nullptr &&
      (filing->consumer_name() != nullptr || filing->consumer_phone() != nullptr)) {
    // The digest goes into every event of the command; a digest over the
    // name and phone would let anyone who guesses them confirm the guess
    // after the key is erased. They are left out of it.
    std::unique_ptr<fb::CommandEnvelopeT> t(env->UnPack());
    t->command.AsFileComplaint()->consumer_name.clear();
    t->command.AsFileComplaint()->consumer_phone.clear();
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(fb::CommandEnvelope::Pack(fbb, t.get()));
    flatbuffers::GenerateText(*parser_, fbb.GetBufferPointer(), &canonical);
  } else {
    flatbuffers::GenerateText(*parser_, out.bytes.data(), &canonical);
  }
  out.digest.resize(16);
  crypto_generichash(reinterpret_cast<unsigned char*>(out.digest.data()), 16,
                     reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(),
                     nullptr, 0);
  return out;
}

Result<ParsedCommand> CommandCodec::ParseBody(fb::Command type, std::string_view body_json,
                                              const std::string& id, fb::Role role,
                                              const std::string& actor_id) const {
  std::string text = "{";
  if (!id.empty()) text += "\"id\":" + JsonQuote(id) + ",";
  text +=
      fmt::format("\"actor\":{{\"role\":\"{}\",\"id\":{}}},\"command_type\":\"{}\",\"command\":",
                  RoleName(role), JsonQuote(actor_id), fb::EnumNameCommand(type));
  // The body starts on a line of its own, so the parser's line and column
  // point into the body as the user wrote it (one line down, corrected below).
  text += "\n";
  text += body_json;
  text += "\n}";
  auto parsed = ParseEnvelope(text);
  if (parsed.ok()) return parsed;
  std::string m = parsed.status().message();
  int line = 0, col = 0;
  const auto at = m.rfind("(line ");
  if (at != std::string::npos &&
      std::sscanf(m.c_str() + at, "(line %d, column %d)", &line, &col) == 2 && line > 1) {
    m = m.substr(0, at) + fmt::format("(line {}, column {})", line - 1, col);
  }
  return Status::InvalidArgument(m);
}

std::string CommandCodec::ToJson(const ParsedCommand& cmd) const {
  // Straight from the parsed buffer: a copy through the object API would drop
  // empty strings, which the digest counts.
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  flatbuffers::GenerateText(*parser_, cmd.bytes.data(), &out);
  return out;
}

}  // namespace ledger
