#include "scheduler/resources.h"

#include <algorithm>

#include "api/quantity.h"

namespace bosun::scheduler {

int64_t Resources::scalar_value(std::string_view name) const {
  for (const auto& [n, v] : scalar) {
    if (n == name) return v;
  }
  return 0;
}

void Resources::add_scalar(std::string_view name, int64_t value) {
  auto it = std::lower_bound(scalar.begin(), scalar.end(), name,
                             [](const auto& e, std::string_view n) { return e.first < n; });
  if (it != scalar.end() && it->first == name) {
    it->second += value;
  } else {
    scalar.insert(it, {std::string(name), value});
  }
}

void Resources::add(const Resources& other) {
  milli_cpu += other.milli_cpu;
  memory += other.memory;
  ephemeral_storage += other.ephemeral_storage;
  pods += other.pods;
  for (const auto& [n, v] : other.scalar) add_scalar(n, v);
}

void Resources::subtract(const Resources& other) {
  milli_cpu -= other.milli_cpu;
  memory -= other.memory;
  ephemeral_storage -= other.ephemeral_storage;
  pods -= other.pods;
  for (const auto& [n, v] : other.scalar) add_scalar(n, -v);
}

void Resources::set_max(const Resources& other) {
  milli_cpu = std::max(milli_cpu, other.milli_cpu);
  memory = std::max(memory, other.memory);
  ephemeral_storage = std::max(ephemeral_storage, other.ephemeral_storage);
  pods = std::max(pods, other.pods);
  for (const auto& [n, v] : other.scalar) {
    int64_t mine = scalar_value(n);
    if (v > mine) add_scalar(n, v - mine);
  }
}

bool is_scalar_resource_name(std::string_view name) {
  if (name.starts_with("hugepages-") || name.starts_with("attachable-volumes-")) return true;
  // v1helper.IsExtendedResourceName: a domain-qualified name outside kubernetes.io, not requests.*.
  auto slash = name.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view domain = name.substr(0, slash);
  if (domain == "kubernetes.io" || domain.ends_with(".kubernetes.io")) return false;
  return !name.starts_with("requests.");
}

Result<void> add_resource_list(const Json& list, Resources& out, bool* present_cpu,
                               bool* present_memory) {
  if (list.is_null()) return {};
  if (!list.is_object())
    return make_error(ErrorCode::kBadRequest, "resource list: expected an object");
  for (auto it = list.begin(); it != list.end(); ++it) {
    const std::string& name = it.key();
    BOSUN_ASSIGN_OR_RETURN(api::Quantity q, api::Quantity::from_json(it.value()));
    if (name == "cpu") {
      out.milli_cpu += q.milli_value();
      if (present_cpu != nullptr) *present_cpu = true;
    } else if (name == "memory") {
      out.memory += q.value();
      if (present_memory != nullptr) *present_memory = true;
    } else if (name == "ephemeral-storage") {
      out.ephemeral_storage += q.value();
    } else if (name == "pods") {
      out.pods += q.value();
    } else if (is_scalar_resource_name(name)) {
      out.add_scalar(name, q.value());
    }
  }
  return {};
}

}  // namespace bosun::scheduler
