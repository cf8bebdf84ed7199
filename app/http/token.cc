#include "app/http/token.h"

#include "common/data_dir.h"
#include "common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <sodium.h>
#include <nlohmann/json.hpp>

#include "engine/state.h"

namespace ledger {

namespace {

constexpr std::string_view kPrefix = "lt1.";
constexpr size_t kMaxToken = 2048;

std::string B64(const unsigned char* data, size_t n) {
  std::string out(sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), data, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Result<std::string> UnB64(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return Status::InvalidArgument("token is not base64url");
  }
  out.resize(len);
  return out;
}

Status ReadAll(int fd, unsigned char* buf, size_t n, const std::string& path) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      return Status::Corruption(fmt::format("{}: key file is shorter than {} bytes", path, n));
    got += static_cast<size_t>(r);
  }
  return Status::Ok();
}

}  // namespace

std::string Principal::Key() const { return std::string(RoleName(role)) + ":" + id; }

Result<fb::Role> ParseRole(std::string_view text) {
  for (auto r :
       {fb::Role::consumer, fb::Role::merchant, fb::Role::authority, fb::Role::operator_}) {
    if (text == RoleName(r)) return r;
  }
  return Status::InvalidArgument(
      fmt::format("role '{}': must be consumer, merchant, authority or operator", text));
}

Result<TimeMs> ParseDuration(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("duration is empty (e.g. 1h, 30m, 7d)");
  TimeMs unit = 1000;
  std::string_view digits = text;
  switch (text.back()) {
    case 's':
      unit = 1000;
      digits.remove_suffix(1);
      break;
    case 'm':
      unit = 60 * 1000;
      digits.remove_suffix(1);
      break;
    case 'h':
      unit = kHourMs;
      digits.remove_suffix(1);
      break;
    case 'd':
      unit = kDayMs;
      digits.remove_suffix(1);
      break;
    default:
      break;
  }
  if (digits.empty() || digits.size() > 6 ||
      digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return Status::InvalidArgument(
        fmt::format("duration '{}': expected a number and s, m, h or d (e.g. 1h)", text));
  }
  const TimeMs n = std::stoll(std::string(digits));
  if (n == 0) return Status::InvalidArgument(fmt::format("duration '{}' must be positive", text));
  return n * unit;
}

std::string TokenSigner::KeyPathFor(const std::string& data_dir) {
  return DataDir(data_dir).TokenKey();
}

Result<TokenSigner> TokenSigner::OpenOrCreate(const std::string& path) {
  if (sodium_init() < 0) return Status::IoError("libsodium failed to initialise");
  TokenSigner s;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    std::array<unsigned char, 64> sk{};
    std::array<unsigned char, 32> pk{};
    crypto_sign_keypair(pk.data(), sk.data());
    // Written beside, then linked in place: two processes starting at once
    // agree on one key (the loser reads the winner's).
    const std::string tmp = fmt::format("{}.{}.tmp", path, ::getpid());
    Status written = CreateSecretFile(
        tmp, std::string_view(reinterpret_cast<const char*>(sk.data()), sk.size()));
    sodium_memzero(sk.data(), sk.size());
    LEDGER_RETURN_IF_ERROR(written);
    const bool linked = ::link(tmp.c_str(), path.c_str()) == 0;
    const int link_errno = errno;
    ::unlink(tmp.c_str());
    if (!linked && link_errno != EEXIST) {
      return Status::IoError(fmt::format("cannot create {}: {}", path, std::strerror(link_errno)));
    }
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (fd < 0) return Status::IoError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
    ::close(fd);
    return Status::PermissionDenied(
        fmt::format("{}: the token key must be readable by its owner only (chmod 600)", path));
  }
  Status r = ReadAll(fd, s.secret_.data(), s.secret_.size(), path);
  ::close(fd);
  LEDGER_RETURN_IF_ERROR(r);
  crypto_sign_ed25519_sk_to_pk(s.public_.data(), s.secret_.data());
  return s;
}

Status TokenSigner::ValidateId(std::string_view id) {
  if (id.empty() || id.size() > 128) return Status::InvalidArgument("id must be 1..128 characters");
  for (char ch : id) {
    if (ch <= ' ' || ch > '~' || ch == '"' || ch == '/' || ch == ':' || ch == '\\') {
      return Status::InvalidArgument(fmt::format(
          "id '{}': only printable ASCII without spaces, quotes, slashes or colons", id));
    }
  }
  return Status::Ok();
}

std::string TokenSigner::Mint(const Principal& who, TimeMs issued_at) const {
  const nlohmann::json payload{
      {"role", RoleName(who.role)}, {"sub", who.id}, {"iat", issued_at}, {"exp", who.expires_at}};
  const std::string body = payload.dump();
  std::string token =
      std::string(kPrefix) + B64(reinterpret_cast<const unsigned char*>(body.data()), body.size());
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(token.data()),
                       token.size(), secret_.data());
  return token + "." + B64(sig, sizeof sig);
}

Result<Principal> TokenSigner::Verify(std::string_view token, TimeMs now) const {
  if (token.size() > kMaxToken) return Status::InvalidArgument("token is too long");
  if (token.substr(0, kPrefix.size()) != kPrefix) {
    return Status::InvalidArgument("token format unknown (expected lt1.<payload>.<signature>)");
  }
  const size_t dot = token.rfind('.');
  if (dot <= kPrefix.size()) return Status::InvalidArgument("token has no signature");
  const std::string_view signed_part = token.substr(0, dot);
  LEDGER_ASSIGN_OR_RETURN(std::string sig, UnB64(token.substr(dot + 1)));
  if (sig.size() != crypto_sign_BYTES ||
      crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                  reinterpret_cast<const unsigned char*>(signed_part.data()),
                                  signed_part.size(), public_.data()) != 0) {
    return Status::PermissionDenied("token signature is not valid for this server");
  }
  LEDGER_ASSIGN_OR_RETURN(std::string body, UnB64(signed_part.substr(kPrefix.size())));
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("role") || !j["role"].is_string() || !j.contains("sub") ||
      !j["sub"].is_string() || !j.contains("exp") || !j["exp"].is_number_integer()) {
    return Status::InvalidArgument("token payload lacks role, sub or exp");
  }
  Principal p;
  LEDGER_ASSIGN_OR_RETURN(p.role, ParseRole(j["role"].get<std::string>()));
  p.id = j["sub"].get<std::string>();
  p.expires_at = j["exp"].get<TimeMs>();
  if (now >= p.expires_at) {
    return Status::PermissionDenied(fmt::format("token expired at {}", FormatTime(p.expires_at)));
  }
  return p;
}

}  // namespace ledger
