// A Store decorator that times every call into etcd_request_duration_seconds{operation, type}, the
// histogram kube-apiserver keeps for its storage (type is the resource prefix, "/registry/pods").
// The REST layer wraps the real store in it. Thread-safe as the store it wraps.
#pragma once

#include <memory>

#include "common/metrics.h"
#include "store/store.h"

namespace bosun::apiserver {

std::unique_ptr<store::Store> instrument_store(store::Store& inner, MetricsRegistry& metrics);

}  // namespace bosun::apiserver
