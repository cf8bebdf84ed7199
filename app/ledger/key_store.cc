#include "app/ledger/key_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <sodium.h>

#include "common/files.h"
#include "common/hex.h"

namespace ledger {

namespace fs = std::filesystem;

namespace {

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

}  // namespace

Result<std::unique_ptr<KeyStore>> KeyStore::Open(const std::string& dir) {
  if (sodium_init() < 0) return Status::IoError("libsodium failed to initialise");
  std::error_code ec;
  const bool existed = fs::exists(dir, ec);
  if (!existed) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      return Errno("cannot create key directory", dir);
    const std::string parent = fs::path(dir).parent_path().string();
    LEDGER_RETURN_IF_ERROR(SyncDirectory(parent.empty() ? "." : parent));
  }
  if (!fs::is_directory(dir, ec))
    return Status::IoError(fmt::format("key store {} is not a directory", dir));
  // Whatever created it, the keys are for the ledger's owner only.
  if (::chmod(dir.c_str(), 0700) != 0) return Errno("cannot restrict key directory", dir);
  return std::unique_ptr<KeyStore>(new KeyStore(dir));
}

std::string KeyStore::Base(std::string_view consumer_id) const {
  uint8_t h[16];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(consumer_id.data()),
                     consumer_id.size(), nullptr, 0);
  return dir_ + "/" + HexOf(h, sizeof h);
}

std::string KeyStore::KeyPath(std::string_view consumer_id) const {
  return Base(consumer_id) + ".key";
}

Result<std::optional<ConsumerKey>> KeyStore::Find(std::string_view consumer_id) const {
  const std::string path = KeyPath(consumer_id);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<ConsumerKey>();
    return Errno("cannot read key", path);
  }
  ConsumerKey key{};
  const ssize_t n = ::read(fd, key.data(), key.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(key.size())) {
    return Status::Corruption(
        fmt::format("key file {} holds {} bytes, expected {}", path, n, key.size()));
  }
  return std::optional<ConsumerKey>(key);
}

bool KeyStore::WasErased(std::string_view consumer_id) const {
  std::error_code ec;
  return fs::exists(Base(consumer_id) + ".erased", ec);
}

Result<ConsumerKey> KeyStore::GetOrCreate(std::string_view consumer_id) {
  LEDGER_ASSIGN_OR_RETURN(auto existing, Find(consumer_id));
  if (existing) return *existing;
  ConsumerKey key;
  crypto_aead_xchacha20poly1305_ietf_keygen(key.data());
  uint8_t suffix[8];
  randombytes_buf(suffix, sizeof suffix);
  const std::string tmp = Base(consumer_id) + ".tmp-" + HexOf(suffix, sizeof suffix);
  Status s = CreateSecretFile(
      tmp, std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
  if (!s.ok()) return s;
  const std::string path = KeyPath(consumer_id);
  // link() fails if another writer got there first: then its key is the key.
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    sodium_memzero(key.data(), key.size());
    if (saved != EEXIST) {
      errno = saved;
      return Errno("cannot install key", path);
    }
    LEDGER_ASSIGN_OR_RETURN(auto theirs, Find(consumer_id));
    if (!theirs) return Status::IoError(fmt::format("key {} vanished while being created", path));
    return *theirs;
  }
  ::unlink(tmp.c_str());
  LEDGER_RETURN_IF_ERROR(SyncDirectory(dir_));
  return key;
}

Result<KeyStore::Erased> KeyStore::Erase(std::string_view consumer_id) {
  const std::string path = KeyPath(consumer_id);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) return Errno("cannot open key", path);
    if (WasErased(consumer_id)) return Erased::kAlready;
    return Status::NotFound(fmt::format(
        "no personal data is kept for consumer {} (no complaint filed with a name or phone)",
        consumer_id));
  }
  // Overwrite in place before unlinking, so the blocks that held the key
  // hold zeros (see RELIABILITY.md for what this does not cover).
  const ConsumerKey zeros{};
  const bool ok =
      ::pwrite(fd, zeros.data(), zeros.size(), 0) == static_cast<ssize_t>(zeros.size()) &&
      ::fdatasync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (!ok) return Errno("cannot overwrite key", path);
  const std::string marker = Base(consumer_id) + ".erased";
  if (!WasErased(consumer_id)) {
    Status s = CreateSecretFile(marker, "erased\n");
    if (!s.ok()) return s;
  }
  if (::unlink(path.c_str()) != 0) return Errno("cannot remove key", path);
  LEDGER_RETURN_IF_ERROR(SyncDirectory(dir_));
  return Erased::kNow;
}

}  // namespace ledger
