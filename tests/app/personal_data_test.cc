// Consumers' personal data: what a filing may carry, how it is sealed, and
// the key store that erasure empties.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "app/ledger/key_store.h"
#include "engine/personal_data.h"

using namespace ledger;

namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/pii-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

}  // namespace

TEST_CASE("A name and a phone are optional, and bad ones are refused naming the field",
          "[personal]") {
  CHECK(ValidatePersonalData("", "").ok());
  CHECK(ValidatePersonalData("Sara Ahmadi", "+98 912 345 6789").ok());
  CHECK(ValidatePersonalData("سارا احمدی", "0912-345-6789").ok());
  const auto phone = ValidatePersonalData("", "0912 CALL");
  CHECK(phone.code() == Code::kInvalidArgument);
  CHECK(phone.message().find("consumer_phone '0912 CALL' has 'C' at position 6") !=
        std::string::npos);
  CHECK(ValidatePersonalData("", "123456").message().find("has 6 digits") != std::string::npos);
  CHECK(ValidatePersonalData("", "1234567890123456").message().find("has 16 digits") !=
        std::string::npos);
  CHECK(ValidatePersonalData("", "0912--3456789").message().find("has '-' at position 6") !=
        std::string::npos);
  CHECK(ValidatePersonalData("", "0912345678-").message().find("ends with a separator") !=
        std::string::npos);
  CHECK(ValidatePersonalData(std::string(200, 'a'), "").ok());
  CHECK(ValidatePersonalData(std::string(201, 'a'), "")
            .message()
            .find("201 bytes long; at most 200") != std::string::npos);
  CHECK(ValidatePersonalData("A\nB", "").message().find("control character") != std::string::npos);
  CHECK(ValidatePersonalData("A\xff", "").message().find("not UTF-8") != std::string::npos);
  CHECK(ValidatePersonalData("   ", "").message().find("blank") != std::string::npos);
}

TEST_CASE("A sealed field opens only with its key, for its consumer and its field", "[personal]") {
  ConsumerKey key{}, other{};
  key[0] = 1;
  other[0] = 2;
  const auto sealed = Seal(key, "u-1", "consumer_name", "Sara");
  CHECK(sealed.size() == 44u);  // nonce, "Sara", tag
  CHECK(Unseal(key, "u-1", "consumer_name", sealed) == std::optional<std::string>("Sara"));
  CHECK_FALSE(Unseal(other, "u-1", "consumer_name", sealed));
  CHECK_FALSE(Unseal(key, "u-2", "consumer_name", sealed));
  CHECK_FALSE(Unseal(key, "u-1", "consumer_phone", sealed));
  CHECK(Seal(key, "u-1", "consumer_name", "Sara") != sealed);  // a new nonce each time
  auto torn = sealed;
  torn.back() ^= 1;
  CHECK_FALSE(Unseal(key, "u-1", "consumer_name", torn));
}

TEST_CASE("The key store keeps one key per consumer until it is erased", "[personal]") {
  TempDir tmp;
  const std::string dir = tmp.path + "/keys";
  auto keys = KeyStore::Open(dir);
  REQUIRE(keys.ok());
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700u);
  auto k1 = keys.value()->GetOrCreate("u-1");
  REQUIRE(k1.ok());
  CHECK(keys.value()->GetOrCreate("u-1").value() == k1.value());
  CHECK(keys.value()->GetOrCreate("u-2").value() != k1.value());
  REQUIRE(::stat(keys.value()->KeyPath("u-1").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600u);
  CHECK(st.st_size == 32);

  auto gone = keys.value()->Erase("u-1");
  REQUIRE(gone.ok());
  CHECK(gone.value() == KeyStore::Erased::kNow);
  CHECK_FALSE(std::filesystem::exists(keys.value()->KeyPath("u-1")));
  CHECK_FALSE(keys.value()->Find("u-1").value().has_value());
  CHECK(keys.value()->WasErased("u-1"));
  CHECK(keys.value()->Erase("u-1").value() == KeyStore::Erased::kAlready);
  CHECK(keys.value()->Find("u-2").value().has_value());
  const auto unknown = keys.value()->Erase("u-9");
  CHECK(unknown.status().code() == Code::kNotFound);
  CHECK(unknown.status().message().find("consumer u-9") != std::string::npos);
}

TEST_CASE("Readers see names opened, or erased, and never the ciphertext", "[personal]") {
  TempDir tmp;
  auto keys = KeyStore::Open(tmp.path + "/keys").value();
  const auto key = keys->GetOrCreate("u-1").value();
  const auto name = Seal(key, "u-1", "consumer_name", "Sara");
  nlohmann::json j;
  RevealPersonalData(j, "u-1", name, {}, nullptr);
  CHECK(j.is_null());  // no key store: nothing shown
  RevealPersonalData(j, "u-1", name, {}, keys.get());
  CHECK(j == nlohmann::json{{"consumer_name", "Sara"},
                            {"consumer_phone", nullptr},
                            {"personal_data", "present"}});
  REQUIRE(keys->Erase("u-1").ok());
  nlohmann::json after;
  RevealPersonalData(after, "u-1", name, {}, keys.get());
  CHECK(after == nlohmann::json{{"consumer_name", nullptr},
                                {"consumer_phone", nullptr},
                                {"personal_data", "erased"}});
  nlohmann::json event{{"payload_type", "ComplaintFiled"},
                       {"payload", {{"consumer_id", "u-1"}, {"consumer_name_sealed", name}}}};
  RevealPersonalDataInEvent(event, nullptr);
  CHECK(event["payload"] == nlohmann::json{{"consumer_id", "u-1"}});
}
