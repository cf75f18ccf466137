// PodStartTrace: where one pod's first start goes inside the agent (informer delivery, pod worker,
// sandbox, volumes, image, container config, create, start, status write), for issue 4's
// single-pod start-up. Off unless the environment has BOSUN_TRACE_POD_START=1; then each pod that
// reaches Running logs one line at info level with the milliseconds of every step since the one
// before, and the wall time the trace began (to line it up with a watch's ADDED event). Off, a
// mark costs one load of a bool. Thread-safe: a mutex guards the open traces.
#pragma once

#include <string_view>

namespace bosun::agent::pod_start_trace {

// Whether tracing is on (read from the environment once).
bool enabled();
// Opens the trace of a pod first seen by the agent (no-op if one is open or tracing is off).
void begin(std::string_view pod_uid, std::string_view pod_name);
// Records a step of an open trace; no-op without one.
void mark(std::string_view pod_uid, std::string_view step);
// Closes the trace with a last step and logs it.
void finish(std::string_view pod_uid, std::string_view step);
// Drops a pod's trace without logging it (the pod went away first).
void drop(std::string_view pod_uid);

}  // namespace bosun::agent::pod_start_trace
