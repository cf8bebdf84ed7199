// Lower-case hexadecimal of bytes, as ids, digests and file names show them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ledger {

std::string HexOf(const uint8_t* data, size_t n);
template <size_t N>
std::string HexOf(const std::array<uint8_t, N>& bytes) {
  return HexOf(bytes.data(), bytes.size());
}

}  // namespace ledger
