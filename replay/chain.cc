#include "replay/chain.h"

#include "common/files.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "events/codec.h"

namespace ledger {

namespace {

constexpr std::string_view kStatementTitle = "complaint-ledger checkpoint v1";
// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the 32 key bytes follow.
constexpr uint8_t kEd25519SpkiPrefix[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                          0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

Status SodiumReady() {
  if (sodium_init() < 0) return Status::IoError("libsodium failed to initialise");
  return Status::Ok();
}

std::string Base64(const uint8_t* data, size_t n) {
  std::string out(sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, n, sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// Decodes exactly `n` bytes of base64 (ignoring whitespace); false otherwise.
bool FromBase64(std::string_view text, uint8_t* out, size_t n) {
  std::vector<uint8_t> buf(text.size());
  size_t len = 0;
  if (sodium_base642bin(buf.data(), buf.size(), text.data(), text.size(), " \t\r\n", &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      len != n) {
    return false;
  }
  std::memcpy(out, buf.data(), n);
  return true;
}

// Decodes exactly `n` bytes of hex; false otherwise.
bool FromHex(std::string_view text, uint8_t* out, size_t n) {
  size_t len = 0;
  const char* end = nullptr;
  return text.size() == 2 * n &&
         sodium_hex2bin(out, n, text.data(), text.size(), nullptr, &len, &end) == 0 && len == n &&
         end == text.data() + text.size();
}

Result<std::string> ReadFile(const std::string& path, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string text;
  text.resize(limit + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > limit)
    return Status::InvalidArgument(fmt::format("{}: larger than {} bytes", path, limit));
  return text;
}

std::string Statement(const std::vector<ChainHead>& heads, const std::string& signed_at) {
  std::string s =
      fmt::format("{}\nsigned_at {}\npartitions {}\n", kStatementTitle, signed_at, heads.size());
  for (const auto& h : heads) {
    s += fmt::format("partition {} records {} last_offset {} head {}\n", h.partition, h.records,
                     h.last_offset, HexOf(h.head));
  }
  return s;
}

// Parses a statement back into heads; strict, so that what was signed is
// exactly what is checked.
Status ParseStatement(const std::string& statement, Checkpoint& cp) {
  std::istringstream in(statement);
  std::string line;
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(fmt::format("checkpoint statement: {}", why));
  };
  if (!std::getline(in, line) || line != kStatementTitle) {
    return bad(fmt::format("the first line must be '{}'", kStatementTitle));
  }
  if (!std::getline(in, line) || line.rfind("signed_at ", 0) != 0)
    return bad("the second line must be 'signed_at TIME'");
  cp.signed_at = line.substr(10);
  uint64_t partitions = 0;
  {
    if (!std::getline(in, line)) return bad("the third line must be 'partitions N'");
    char tail = 0;
    unsigned long long n = 0;
    if (std::sscanf(line.c_str(), "partitions %llu%c", &n, &tail) != 1 || n == 0 || n > 100000) {
      return bad(fmt::format("'{}': expected 'partitions N'", line));
    }
    partitions = n;
  }
  for (uint64_t p = 0; p < partitions; ++p) {
    if (!std::getline(in, line))
      return bad(fmt::format("it names {} partitions but lists {}", partitions, p));
    unsigned long long part = 0, records = 0, last = 0;
    char hex[65] = {};
    char tail = 0;
    if (std::sscanf(line.c_str(), "partition %llu records %llu last_offset %llu head %64[0-9a-f]%c",
                    &part, &records, &last, hex, &tail) != 4 ||
        part != p) {
      return bad(fmt::format("line '{}': expected 'partition {} records N last_offset O head HEX'",
                             line, p));
    }
    ChainHead h;
    h.partition = static_cast<PartitionId>(part);
    h.records = records;
    h.last_offset = last;
    if (!FromHex(hex, h.head.data(), h.head.size()))
      return bad(fmt::format("line '{}': the head is not 64 hex digits", line));
    cp.heads.push_back(h);
  }
  if (std::getline(in, line) || !statement.ends_with('\n'))
    return bad("text after the last partition");
  return Status::Ok();
}

}  // namespace

Result<std::vector<ChainHead>> WalkChains(EventLog& log, const std::vector<ChainHead>* expected,
                                          const std::function<void(uint64_t)>& progress) {
  if (expected != nullptr && expected->size() != log.partitions()) {
    return Status::Corruption(fmt::format("the checkpoint names {} partitions; the log {} has {}",
                                          expected->size(), log.Describe(), log.partitions()));
  }
  std::vector<ChainHead> heads;
  uint64_t walked = 0;
  for (PartitionId p = 0; p < log.partitions(); ++p) {
    ChainHead h;
    h.partition = p;
    const ChainHead* want = expected != nullptr ? &(*expected)[p] : nullptr;
    Offset next = 0;
    for (;;) {
      LEDGER_ASSIGN_OR_RETURN(auto records, log.Read(p, next, 4096));
      if (records.empty()) break;
      for (const auto& r : records) {
        LEDGER_ASSIGN_OR_RETURN(const fb::Event* e, DecodeEvent(r.bytes, p, r.offset));
        if (!std::equal(h.head.begin(), h.head.end(), e->prev_hash()->begin())) {
          return Status::Corruption(
              fmt::format("partition {}: first bad offset {}: its prev_hash does not match the "
                          "record before it "
                          "(edited, deleted, inserted or reordered)",
                          p, r.offset));
        }
        if (PartitionFor(e->partition_key() ? e->partition_key()->string_view() : "",
                         log.partitions()) != p) {
          return Status::Corruption(
              fmt::format("partition {}: first bad offset {}: record belongs to another partition",
                          p, r.offset));
        }
        h.head = HashRecord(r.bytes);
        h.last_offset = r.offset;
        ++h.records;
        if (want != nullptr && h.records == want->records &&
            (h.last_offset != want->last_offset || h.head != want->head)) {
          return Status::Corruption(
              fmt::format("partition {}: first bad offset {}: the checkpoint signed record {} at "
                          "offset {} with chain head {}; "
                          "the log has offset {} with head {} (a record up to there was rewritten, "
                          "with the chain after it)",
                          p, std::min(h.last_offset, want->last_offset), want->records,
                          want->last_offset, HexOf(want->head), h.last_offset, HexOf(h.head)));
        }
      }
      next = records.back().offset + 1;
      walked += records.size();
      if (progress) progress(walked);
    }
    if (want != nullptr && h.records < want->records) {
      return Status::Corruption(fmt::format(
          "partition {}: first bad offset {}: the log ends with {} records but the checkpoint "
          "signed {} "
          "(last offset {}): records were removed from the end",
          p, h.records == 0 ? 0 : h.last_offset + 1, h.records, want->records, want->last_offset));
    }
    heads.push_back(h);
  }
  return heads;
}

Result<Ed25519Public> GenerateCheckpointKey(const std::string& path) {
  LEDGER_RETURN_IF_ERROR(SodiumReady());
  Ed25519Public pk{};
  Ed25519Secret sk{};
  crypto_sign_keypair(pk.data(), sk.data());
  std::string secret = Base64(sk.data(), sk.size()) + "\n";
  sodium_memzero(sk.data(), sk.size());
  Status written = CreateSecretFile(path, secret);
  sodium_memzero(secret.data(), secret.size());
  if (written.code() == Code::kConflict) {
    return Status::Conflict(written.message() + " (a key is never overwritten)");
  }
  LEDGER_RETURN_IF_ERROR(written);
  std::string der(reinterpret_cast<const char*>(kEd25519SpkiPrefix), sizeof kEd25519SpkiPrefix);
  der.append(reinterpret_cast<const char*>(pk.data()), pk.size());
  const std::string pem = "-----BEGIN PUBLIC KEY-----\n" +
                          Base64(reinterpret_cast<const uint8_t*>(der.data()), der.size()) +
                          "\n-----END PUBLIC KEY-----\n";
  std::ofstream out(path + ".pub", std::ios::binary | std::ios::trunc);
  out << pem;
  out.close();
  if (!out) return Status::IoError(fmt::format("cannot write {}.pub", path));
  return pk;
}

Result<Ed25519Secret> LoadCheckpointSecret(const std::string& path) {
  LEDGER_RETURN_IF_ERROR(SodiumReady());
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::NotFound(
        fmt::format("{}: cannot open the checkpoint key: {}", path, std::strerror(errno)));
  }
  if ((st.st_mode & 077) != 0) {
    return Status::PermissionDenied(
        fmt::format("{}: the checkpoint key must be readable by its owner only (chmod 600)", path));
  }
  LEDGER_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 4096));
  Ed25519Secret sk{};
  if (!FromBase64(text, sk.data(), sk.size())) {
    return Status::InvalidArgument(
        fmt::format("{}: not a checkpoint secret key (64 bytes in base64, as `ledger checkpoint "
                    "keygen` writes)",
                    path));
  }
  Ed25519Public pk{};
  crypto_sign_ed25519_sk_to_pk(pk.data(), sk.data());
  if (std::memcmp(pk.data(), sk.data() + 32, 32) != 0) {
    return Status::InvalidArgument(
        fmt::format("{}: the secret key's two halves do not belong together", path));
  }
  return sk;
}

Result<Ed25519Public> LoadCheckpointPublic(const std::string& path_or_hex) {
  LEDGER_RETURN_IF_ERROR(SodiumReady());
  Ed25519Public pk{};
  if (FromHex(path_or_hex, pk.data(), pk.size())) return pk;
  LEDGER_ASSIGN_OR_RETURN(std::string text, ReadFile(path_or_hex, 4096));
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  if (FromHex(text, pk.data(), pk.size())) return pk;
  const std::string begin = "-----BEGIN PUBLIC KEY-----", end = "-----END PUBLIC KEY-----";
  const auto b = text.find(begin), e = text.find(end);
  uint8_t der[sizeof kEd25519SpkiPrefix + 32];
  if (b == std::string::npos || e == std::string::npos || e < b ||
      !FromBase64(std::string_view(text).substr(b + begin.size(), e - b - begin.size()), der,
                  sizeof der) ||
      std::memcmp(der, kEd25519SpkiPrefix, sizeof kEd25519SpkiPrefix) != 0) {
    return Status::InvalidArgument(fmt::format(
        "{}: not an Ed25519 public key (expected a PEM 'PUBLIC KEY' file or 64 hex digits)",
        path_or_hex));
  }
  std::memcpy(pk.data(), der + sizeof kEd25519SpkiPrefix, 32);
  return pk;
}

std::string SignCheckpoint(const std::vector<ChainHead>& heads, const std::string& signed_at,
                           const Ed25519Secret& secret) {
  const std::string statement = Statement(heads, signed_at);
  std::array<uint8_t, 64> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const uint8_t*>(statement.data()),
                       statement.size(), secret.data());
  nlohmann::ordered_json doc;
  doc["statement"] = statement;
  doc["signature"] = Base64(sig.data(), sig.size());
  doc["public_key"] = HexOf(secret.data() + 32, 32);
  return doc.dump(2) + "\n";
}

Result<Checkpoint> CheckCheckpointSignature(const std::string& document, const Ed25519Public& key) {
  LEDGER_RETURN_IF_ERROR(SodiumReady());
  auto doc = nlohmann::json::parse(document, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return Status::InvalidArgument("checkpoint: not a JSON object");
  if (!doc.contains("statement") || !doc["statement"].is_string() || !doc.contains("signature") ||
      !doc["signature"].is_string()) {
    return Status::InvalidArgument("checkpoint: needs the strings \"statement\" and \"signature\"");
  }
  Checkpoint cp;
  cp.statement = doc["statement"].get<std::string>();
  if (!FromBase64(doc["signature"].get<std::string>(), cp.signature.data(), cp.signature.size())) {
    return Status::InvalidArgument("checkpoint: \"signature\" is not 64 bytes in base64");
  }
  if (doc.contains("public_key") && doc["public_key"].is_string()) {
    FromHex(doc["public_key"].get<std::string>(), cp.public_key.data(), cp.public_key.size());
  }
  if (crypto_sign_verify_detached(cp.signature.data(),
                                  reinterpret_cast<const uint8_t*>(cp.statement.data()),
                                  cp.statement.size(), key.data()) != 0) {
    return Status::Corruption(
        fmt::format("checkpoint: the signature does not match the statement under public key {} "
                    "(the statement was altered, "
                    "or it was signed with another key)",
                    HexOf(key.data(), key.size())));
  }
  LEDGER_RETURN_IF_ERROR(ParseStatement(cp.statement, cp));
  return cp;
}

}  // namespace ledger
