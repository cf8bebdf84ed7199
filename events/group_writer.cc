#include "events/group_writer.h"

#include <utility>

namespace ledger {

GroupWriter::GroupWriter(WriteFn write, size_t max_group_records)
    : write_(std::move(write)), max_group_records_(max_group_records) {
  thread_ = std::thread([this] { Loop(); });
}

GroupWriter::~GroupWriter() { Stop(); }

void GroupWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t GroupWriter::groups() const {
  std::lock_guard<std::mutex> lock(mu_);
  return groups_;
}

Result<std::vector<Position>> GroupWriter::Append(std::vector<PendingRecord> records) {
  if (records.empty()) return std::vector<Position>{};
  auto req = std::make_unique<Request>();
  req->records = std::move(records);
  auto fut = req->done.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Status::Unavailable("log is closing");
    queue_.push_back(std::move(req));
  }
  cv_.notify_one();
  return fut.get();
}

void GroupWriter::Loop() {
  for (;;) {
    std::vector<std::unique_ptr<Request>> taken;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      size_t n = 0;
      while (!queue_.empty() && (taken.empty() || max_group_records_ == 0 ||
                                 n + queue_.front()->records.size() <= max_group_records_)) {
        n += queue_.front()->records.size();
        taken.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      ++groups_;
    }
    std::vector<std::vector<PendingRecord>> group;
    group.reserve(taken.size());
    for (auto& r : taken) group.push_back(std::move(r->records));
    auto written = write_(group);
    for (size_t g = 0; g < taken.size(); ++g) {
      if (written.ok()) {
        taken[g]->done.set_value(std::move(written.value()[g]));
      } else {
        taken[g]->done.set_value(written.status());
      }
    }
  }
}

}  // namespace ledger
