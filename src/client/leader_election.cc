#include "client/leader_election.h"

#include "common/thread_util.h"
#include "common/time_format.h"

namespace bosun::client {
namespace {

int64_t whole_seconds_up(std::chrono::milliseconds d) {
  int64_t s = (d.count() + 999) / 1000;
  return s < 1 ? 1 : s;
}

}  // namespace

LeaderElector::LeaderElector(RestClient& client, LeaderElectionConfig config)
    : client_(client),
      config_(std::move(config)),
      clock_(config_.clock ? *config_.clock : Clock::real()) {}

LeaderElector::~LeaderElector() { stop(); }

void LeaderElector::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] {
    set_thread_name("leader-" + config_.lease_name);
    run();
  });
}

void LeaderElector::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool LeaderElector::is_leader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leading_;
}

std::string LeaderElector::leader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return observed_holder_;
}

bool LeaderElector::wait(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

Json LeaderElector::lease_spec(const Json& old_spec, bool keep_acquire) const {
  std::string now = format_rfc3339_micro(clock_.now());
  Json spec = old_spec.is_object() ? old_spec : Json::object();
  int64_t transitions = 0;
  if (spec.contains("leaseTransitions") && spec["leaseTransitions"].is_number_integer()) {
    transitions = spec["leaseTransitions"].get<int64_t>();
  }
  spec["holderIdentity"] = config_.identity;
  spec["leaseDurationSeconds"] = whole_seconds_up(config_.lease_duration);
  spec["renewTime"] = now;
  if (!keep_acquire || !spec.contains("acquireTime")) {
    spec["acquireTime"] = now;
    // As client-go: every acquisition of an existing Lease by a candidate that was not leading
    // counts as a transition, a released one (no holder) included.
    if (old_spec.is_object()) ++transitions;
  }
  spec["leaseTransitions"] = transitions;
  return spec;
}

bool LeaderElector::try_acquire_or_renew() {
  auto current = client_.get(kLeases, config_.lease_namespace, config_.lease_name);
  if (!current.ok()) {
    if (current.error().code != ErrorCode::kNotFound) return false;
    Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata", {{"name", config_.lease_name}}},
                  {"spec", lease_spec(Json(), false)}};
    auto created = client_.create(kLeases, config_.lease_namespace, lease);
    if (!created.ok()) return false;
    std::lock_guard<std::mutex> lock(mu_);
    observed_spec_ = (*created)["spec"];
    observed_holder_ = config_.identity;
    observed_time_ = clock_.monotonic();
    return true;
  }
  Json lease = std::move(current).value();
  if (!lease.is_object()) return false;
  Json spec = lease.is_object() && lease.contains("spec") ? lease["spec"] : Json::object();
  if (!spec.is_object()) spec = Json::object();
  std::string holder;
  if (spec.contains("holderIdentity") && spec["holderIdentity"].is_string()) {
    holder = spec["holderIdentity"].get<std::string>();
  }
  bool was_leading;
  bool new_leader;
  bool held_by_other;
  {
    std::lock_guard<std::mutex> lock(mu_);
    was_leading = leading_;
    new_leader = !holder.empty() && holder != config_.identity && holder != observed_holder_;
    if (spec != observed_spec_) {
      observed_spec_ = spec;
      observed_time_ = clock_.monotonic();
    }
    observed_holder_ = holder;
    // Another holder's lease is valid until lease_duration after we saw it last change.
    held_by_other = !holder.empty() && holder != config_.identity &&
                    observed_time_ + config_.lease_duration > clock_.monotonic();
  }
  if (new_leader && config_.on_new_leader) config_.on_new_leader(holder);
  if (held_by_other) return false;
  lease["spec"] = lease_spec(spec, was_leading && holder == config_.identity);
  auto updated = client_.update(kLeases, config_.lease_namespace, lease);
  if (!updated.ok()) return false;  // a 409: someone else wrote first
  std::lock_guard<std::mutex> lock(mu_);
  observed_spec_ = (*updated)["spec"];
  observed_holder_ = config_.identity;
  observed_time_ = clock_.monotonic();
  return true;
}

void LeaderElector::release() {
  auto current = client_.get(kLeases, config_.lease_namespace, config_.lease_name);
  if (!current.ok()) return;
  Json lease = std::move(current).value();
  if (!lease.is_object() || !lease.contains("spec") || !lease["spec"].is_object() ||
      lease["spec"].value("holderIdentity", Json()) != Json(config_.identity)) {
    return;
  }
  // As client-go's release: no holder and a one-second lease, so the next candidate need not wait.
  std::string now = format_rfc3339_micro(clock_.now());
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = now;
  lease["spec"]["acquireTime"] = now;
  (void)client_.update(kLeases, config_.lease_namespace, lease);
}

void LeaderElector::run() {
  for (;;) {
    // Candidate: try until we hold the Lease.
    while (!try_acquire_or_renew()) {
      if (!wait(config_.retry_period)) return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      leading_ = true;
    }
    if (config_.on_started_leading) config_.on_started_leading();
    // Leader: renew every retry_period; step down when renewals fail for renew_deadline.
    auto last_renew = clock_.monotonic();
    bool stopped = false;
    for (;;) {
      if (!wait(config_.retry_period)) {
        stopped = true;
        break;
      }
      if (try_acquire_or_renew()) {
        last_renew = clock_.monotonic();
      } else if (clock_.monotonic() - last_renew >= config_.renew_deadline) {
        break;
      } else {
        std::lock_guard<std::mutex> lock(mu_);
        if (!observed_holder_.empty() && observed_holder_ != config_.identity) break;
      }
    }
    if (stopped && config_.release_on_cancel) release();
    {
      std::lock_guard<std::mutex> lock(mu_);
      leading_ = false;
    }
    if (config_.on_stopped_leading) config_.on_stopped_leading();
    if (stopped) return;
  }
}

}  // namespace bosun::client
