// Fixed-width big-endian integers, the one codec for numbers inside keys and
// values (so that keys sort by the number they hold).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ledger {

// Appends the low `bytes` bytes of `v`, most significant first.
inline void PutBigEndian(std::string& out, uint64_t v, int bytes = 8) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}
// 8 bytes, most significant first.
inline std::string EncodeU64(uint64_t v) {
  std::string s;
  s.reserve(8);
  PutBigEndian(s, v);
  return s;
}
// The first 8 bytes of `s` (fewer when `s` is shorter), most significant first.
inline uint64_t DecodeU64(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

}  // namespace ledger
