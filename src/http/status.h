// Turns an Error into the Kubernetes `Status` object that every failed API request returns, which
// kubectl prints as `Error from server (<reason>): <message>`. Pure functions; thread-safe.
#pragma once

#include "common/json.h"
#include "common/result.h"

namespace bosun::apiserver {

// {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":…,"reason":…,"code":…},
// with details.causes when the error has field causes (metav1.StatusCause: reason, message, field).
Json status_json(const Error& error);

}  // namespace bosun::apiserver
