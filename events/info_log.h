// RocksDB's informational log (the `LOG` file of each database) written so
// that a failure to write it never stops or aborts the program. RocksDB's own
// file logger asserts when it is used again after a failed write (a full disk),
// which ends the process instead of letting the real error reach the caller.
#pragma once

#include <memory>
#include <string>

#include <rocksdb/env.h>

namespace ledger {

// A logger appending to `dir`/LOG (started afresh once it passes 16 MiB).
// When the file cannot be opened or a write fails, it stops logging; the
// database's own reads and writes report their errors as usual.
// Thread-safe (RocksDB logs from its background threads).
std::shared_ptr<rocksdb::Logger> OpenInfoLog(const std::string& dir);

}  // namespace ledger
