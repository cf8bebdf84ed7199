#include "common/data_dir.h"

#include <filesystem>

namespace ledger {

std::string DataDir::Join(std::string_view name) const {
  return (std::filesystem::path(root_) / std::string(name)).string();
}

std::string DataDir::Views(std::string_view kafka_topic) const {
  if (kafka_topic.empty()) return Join("views");
  return (std::filesystem::path(root_) / ("kafka-" + std::string(kafka_topic)) / "views").string();
}

}  // namespace ledger
