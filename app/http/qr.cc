#include "app/http/qr.h"

#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <qrencode.h>
#include <sodium.h>

namespace ledger {

Result<std::string> QrSvg(const std::string& text) {
  if (text.empty() || text.size() > 1024)
    return Status::InvalidArgument("QR text must be 1..1024 bytes");
  std::unique_ptr<QRcode, void (*)(QRcode*)> qr(
      QRcode_encodeString8bit(text.c_str(), 0, QR_ECLEVEL_M), QRcode_free);
  if (!qr) return Status::IoError(fmt::format("QR encoding failed: {}", std::strerror(errno)));
  constexpr int kQuiet = 4;
  const int w = qr->width;
  const int size = w + 2 * kQuiet;
  std::string path;
  for (int y = 0; y < w; ++y) {
    for (int x = 0; x < w; ++x) {
      if (qr->data[y * w + x] & 1) path += fmt::format("M{},{}h1v1h-1z", x + kQuiet, y + kQuiet);
    }
  }
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {0}\" width=\"{1}\" "
      "height=\"{1}\" "
      "shape-rendering=\"crispEdges\"><rect width=\"{0}\" height=\"{0}\" fill=\"#fff\"/>"
      "<path fill=\"#000\" d=\"{2}\"/></svg>",
      size, size * 4, path);
}

Result<std::string> QrSvgDataUri(const std::string& text) {
  LEDGER_ASSIGN_OR_RETURN(std::string svg, QrSvg(text));
  std::string b64(sodium_base64_encoded_len(svg.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(b64.data(), b64.size(), reinterpret_cast<const unsigned char*>(svg.data()),
                    svg.size(), sodium_base64_VARIANT_ORIGINAL);
  b64.resize(std::strlen(b64.c_str()));
  return "data:image/svg+xml;base64," + b64;
}

}  // namespace ledger
