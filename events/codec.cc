#include "events/codec.h"

#include <cstring>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <sodium.h>

namespace ledger {

PartitionId PartitionFor(std::string_view key, uint32_t partitions) {
  // librdkafka's murmur2 partitioner reads neither the topic nor the opaques.
  return static_cast<PartitionId>(rd_kafka_msg_partitioner_murmur2(
      nullptr, key.data(), key.size(), static_cast<int32_t>(partitions), nullptr, nullptr));
}

Hash32 HashRecord(std::string_view bytes) {
  Hash32 h;
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size(), nullptr, 0);
  return h;
}

namespace {
Status CheckEvent(std::string_view bytes, std::string_view where) {
  if (bytes.size() < 8 || !fb::EventBufferHasIdentifier(bytes.data())) {
    return Status::Corruption(fmt::format("{}: not an event record", where));
  }
  flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!fb::VerifyEventBuffer(v)) {
    return Status::Corruption(fmt::format("{}: event record fails verification", where));
  }
  const auto* e = fb::GetEvent(bytes.data());
  if (e->prev_hash() == nullptr || e->prev_hash()->size() != 32) {
    return Status::Corruption(fmt::format("{}: event record has no 32-byte prev_hash", where));
  }
  if (e->payload_type() == fb::Payload::NONE || e->payload_type() > fb::Payload::MAX) {
    return Status::Corruption(fmt::format("{}: event record has an unknown payload", where));
  }
  // The verifier lets a union's type stand without its table; every reader
  // of a payload expects the table of the type it names.
  if (e->payload() == nullptr) {
    return Status::Corruption(fmt::format("{}: event record names a {} payload but holds none",
                                          where, fb::EnumNamePayload(e->payload_type())));
  }
  return Status::Ok();
}
}  // namespace

Result<const fb::Event*> DecodeEvent(std::string_view bytes, PartitionId p, Offset o) {
  LEDGER_RETURN_IF_ERROR(CheckEvent(bytes, fmt::format("partition {} offset {}", p, o)));
  return fb::GetEvent(bytes.data());
}

Result<const fb::Event*> DecodeEvent(std::string_view bytes) {
  LEDGER_RETURN_IF_ERROR(CheckEvent(bytes, "event"));
  return fb::GetEvent(bytes.data());
}

std::string EncodeEvent(const fb::EventT& event) {
  flatbuffers::FlatBufferBuilder fbb(512);
  auto root = fb::Event::Pack(fbb, &event);
  fb::FinishEventBuffer(fbb, root);
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

void SetPrevHash(std::string& bytes, const Hash32& prev) {
  auto* e = fb::GetMutableEvent(bytes.data());
  auto* v = e->mutable_prev_hash();
  std::memcpy(v->data(), prev.data(), prev.size());
}

}  // namespace ledger
