// Downstream publication of the merchants' public indicators: the compacted
// topic `merchant.indicators` (key = merchant id, value = the indicators as
// JSON), so the public profile site and the payment gateway read each
// merchant's latest state without replaying the events.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "common/status.h"

struct rd_kafka_s;

namespace ledger {

class IndicatorSink {
 public:
  virtual ~IndicatorSink() = default;
  // Publishes the latest value of each key, durably (acks=all) before returning.
  virtual Status Publish(const std::map<std::string, std::string>& latest) = 0;
};

class KafkaIndicatorSink final : public IndicatorSink {
 public:
  // Creates the topic (cleanup.policy=compact) if missing.
  static Result<std::unique_ptr<KafkaIndicatorSink>> Open(
      const std::string& bootstrap, const std::string& topic = "merchant.indicators",
      int partitions = 6);
  ~KafkaIndicatorSink() override;
  Status Publish(const std::map<std::string, std::string>& latest) override;

 private:
  KafkaIndicatorSink(rd_kafka_s* rk, std::string topic) : rk_(rk), topic_(std::move(topic)) {}
  rd_kafka_s* rk_;
  std::string topic_;
};

}  // namespace ledger
