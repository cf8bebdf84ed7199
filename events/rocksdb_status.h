// RocksDB's status as ours, the one mapping for the log and the views: a
// damaged file (checksum mismatch, torn block) is a corruption, named as
// such; anything else RocksDB reports is an I/O error.
#pragma once

#include <string_view>

#include <fmt/format.h>
#include <rocksdb/status.h>

#include "common/status.h"

namespace ledger {

// REQUIRES: !s.ok(). `what` names the database and the operation.
inline Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  const std::string msg = fmt::format("{}: {}", what, s.ToString());
  return s.IsCorruption() ? Status::Corruption(msg) : Status::IoError(msg);
}

}  // namespace ledger
