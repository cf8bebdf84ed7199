#include "events/info_log.h"

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <mutex>

namespace ledger {
namespace {

constexpr std::uintmax_t kRestartBytes = 16u << 20;

class InfoLog final : public rocksdb::Logger {
 public:
  explicit InfoLog(std::FILE* f) : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL), f_(f) {}
  ~InfoLog() override {
    if (f_) std::fclose(f_);
  }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!f_) return;
    const bool ok =
        std::vfprintf(f_, format, ap) >= 0 && std::fputc('\n', f_) != EOF && std::fflush(f_) == 0;
    if (!ok) {  // e.g. the disk is full: stop logging, keep the database going
      std::fclose(f_);
      f_ = nullptr;
    }
  }

 private:
  std::mutex mu_;
  std::FILE* f_;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> OpenInfoLog(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string path = dir + "/LOG";
  const auto size = std::filesystem::file_size(path, ec);
  std::FILE* f = std::fopen(path.c_str(), !ec && size > kRestartBytes ? "w" : "a");
  return std::make_shared<InfoLog>(f);
}

}  // namespace ledger
