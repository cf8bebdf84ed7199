// Every path of a ledger's data directory, named in one place:
//   DIR/log                 the embedded log (RocksDB)
//   DIR/views               the views of the embedded log
//   DIR/kafka-TOPIC/views   the views of a Kafka topic (the log is the topic)
//   DIR/policy.json         the policy the ledger was created with
//   DIR/keys/               consumers' keys for personal data
//   DIR/http-token.key      the HTTP service's token signing key
// Paths only: nothing is created or read here.
#pragma once

#include <string>
#include <string_view>

namespace ledger {

class DataDir {
 public:
  explicit DataDir(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string EmbeddedLog() const { return Join("log"); }
  // The views of the embedded log (empty topic) or of a Kafka topic.
  std::string Views(std::string_view kafka_topic = {}) const;
  std::string Policy() const { return Join("policy.json"); }
  std::string Keys() const { return Join("keys"); }
  std::string TokenKey() const { return Join("http-token.key"); }

 private:
  std::string Join(std::string_view name) const;
  std::string root_;
};

}  // namespace ledger
