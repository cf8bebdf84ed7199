#include "engine/personal_data.h"

#include <cstring>

#include <fmt/format.h>
#include <sodium.h>

#include "common/text.h"

namespace ledger {

namespace {

constexpr const char* kNameField = "consumer_name";
constexpr const char* kPhoneField = "consumer_phone";

}  // namespace

Status ValidatePersonalData(std::string_view name, std::string_view phone) {
  if (name.size() > kMaxConsumerNameBytes) {
    return Status::InvalidArgument(
        fmt::format("FileComplaint: consumer_name is {} bytes long; at most {} are allowed",
                    name.size(), kMaxConsumerNameBytes));
  }
  for (size_t i = 0; i < name.size();) {
    const size_t n = Utf8SequenceLength(name, i);
    if (n == 0)
      return Status::InvalidArgument(
          fmt::format("FileComplaint: consumer_name is not UTF-8 (byte {})", i));
    if (n == 1 && (static_cast<unsigned char>(name[i]) < 0x20 || name[i] == 0x7F)) {
      return Status::InvalidArgument(
          fmt::format("FileComplaint: consumer_name has a control character (byte {})", i));
    }
    i += n;
  }
  if (!name.empty() && name.find_first_not_of(' ') == std::string_view::npos) {
    return Status::InvalidArgument("FileComplaint: consumer_name is blank");
  }
  if (phone.empty()) return Status::Ok();
  auto bad_phone = [&](const std::string& why) {
    return Status::InvalidArgument(fmt::format(
        "FileComplaint: consumer_phone '{}' {}: expected an optional '+' then 7 to 15 digits, e.g. "
        "+98 912 345 6789",
        phone.size() > 40 ? std::string(phone.substr(0, 40)) + "..." : std::string(phone), why));
  };
  size_t digits = 0;
  bool after_separator = false;
  for (size_t i = 0; i < phone.size(); ++i) {
    const char c = phone[i];
    if (c >= '0' && c <= '9') {
      ++digits;
      after_separator = false;
    } else if (c == '+' && i == 0) {
      continue;
    } else if ((c == ' ' || c == '-') && digits > 0 && !after_separator) {
      after_separator = true;
    } else {
      return bad_phone(fmt::format("has '{}' at position {}", c, i + 1));
    }
  }
  if (after_separator) return bad_phone("ends with a separator");
  if (digits < 7 || digits > 15) return bad_phone(fmt::format("has {} digits", digits));
  return Status::Ok();
}

std::vector<uint8_t> Seal(const ConsumerKey& key, std::string_view consumer_id,
                          std::string_view field, std::string_view plaintext) {
  std::string ad(consumer_id);
  ad.push_back('\0');
  ad += field;
  std::vector<uint8_t> out(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plaintext.size() +
                           crypto_aead_xchacha20poly1305_ietf_ABYTES);
  randombytes_buf(out.data(), crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      out.data() + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, out.data(),
      key.data());
  return out;
}

std::optional<std::string> Unseal(const ConsumerKey& key, std::string_view consumer_id,
                                  std::string_view field, const std::vector<uint8_t>& sealed) {
  constexpr size_t kN = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  constexpr size_t kA = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (sealed.size() < kN + kA) return std::nullopt;
  std::string ad(consumer_id);
  ad.push_back('\0');
  ad += field;
  std::string out(sealed.size() - kN - kA, '\0');
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &mlen, nullptr, sealed.data() + kN,
          sealed.size() - kN, reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
          sealed.data(), key.data()) != 0) {
    return std::nullopt;
  }
  out.resize(mlen);
  return out;
}

Status SealPersonalData(const fb::CommandEnvelope& cmd, std::vector<Draft>& drafts,
                        ConsumerKeys* keys) {
  if (cmd.command_type() != fb::Command::FileComplaint) return Status::Ok();
  const auto* f = cmd.command_as_FileComplaint();
  const std::string name = f->consumer_name() ? f->consumer_name()->str() : "";
  const std::string phone = f->consumer_phone() ? f->consumer_phone()->str() : "";
  if (name.empty() && phone.empty()) return Status::Ok();
  if (keys == nullptr) {
    return Status::Unavailable(
        "FileComplaint: this ledger has no key store, so it cannot keep a consumer_name or "
        "consumer_phone");
  }
  const std::string consumer = f->consumer_id()->str();
  LEDGER_ASSIGN_OR_RETURN(ConsumerKey key, keys->GetOrCreate(consumer));
  for (auto& d : drafts) {
    auto* e = d.payload.AsComplaintFiled();
    if (e == nullptr) continue;
    if (!name.empty()) e->consumer_name_sealed = Seal(key, consumer, kNameField, name);
    if (!phone.empty()) e->consumer_phone_sealed = Seal(key, consumer, kPhoneField, phone);
  }
  sodium_memzero(key.data(), key.size());
  return Status::Ok();
}

void RevealPersonalData(nlohmann::json& out, const std::string& consumer_id,
                        const std::vector<uint8_t>& name_sealed,
                        const std::vector<uint8_t>& phone_sealed, const ConsumerKeys* keys) {
  if ((name_sealed.empty() && phone_sealed.empty()) || keys == nullptr) return;
  out["consumer_name"] = nullptr;
  out["consumer_phone"] = nullptr;
  auto key = keys->Find(consumer_id);
  if (!key.ok()) {
    out["personal_data"] = "unreadable: " + key.status().message();
    return;
  }
  if (!key.value()) {
    out["personal_data"] = "erased";
    return;
  }
  std::optional<std::string> name, phone;
  if (!name_sealed.empty() && !(name = Unseal(**key, consumer_id, kNameField, name_sealed))) {
    // Sealed under a key erased since (a consumer who filed again gets a new one).
    out["personal_data"] =
        keys->WasErased(consumer_id) ? "erased" : "unreadable: does not open with the key";
    return;
  }
  if (!phone_sealed.empty() && !(phone = Unseal(**key, consumer_id, kPhoneField, phone_sealed))) {
    out["personal_data"] =
        keys->WasErased(consumer_id) ? "erased" : "unreadable: does not open with the key";
    return;
  }
  if (name) out["consumer_name"] = *name;
  if (phone) out["consumer_phone"] = *phone;
  out["personal_data"] = "present";
}

void RevealPersonalDataInEvent(nlohmann::json& event, const ConsumerKeys* keys) {
  if (event.value("payload_type", "") != "ComplaintFiled" || !event.contains("payload")) return;
  auto& p = event["payload"];
  auto take = [&](const char* k) {
    std::vector<uint8_t> v;
    if (p.contains(k) && p[k].is_array()) v = p[k].get<std::vector<uint8_t>>();
    p.erase(k);
    return v;
  };
  const auto name = take("consumer_name_sealed");
  const auto phone = take("consumer_phone_sealed");
  RevealPersonalData(p, p.value("consumer_id", ""), name, phone, keys);
}

}  // namespace ledger
