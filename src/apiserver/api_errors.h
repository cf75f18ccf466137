// The errors the REST layer returns, worded as k8s.io/apimachinery/pkg/api/errors words them
// (`pods "web" not found`, `deployments.apps "nginx" already exists`, `Operation cannot be
// fulfilled on ...`), and the full `Status` object for any Error, with the details
// (name, group, kind, causes) Kubernetes puts in it. Used by every REST handler. Pure functions;
// thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "apiserver/http_message.h"
#include "common/field_errors.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::apiserver {

// A GroupResource as Kubernetes prints it: "pods", "deployments.apps".
std::string qualified_resource(std::string_view group, std::string_view resource);
// A GroupKind as NewInvalid prints it: "Pod", "Deployment.apps".
std::string qualified_kind(std::string_view group, std::string_view kind);

// NewNotFound: `<resource> "<name>" not found`.
Error not_found_error(std::string_view qualified_resource, std::string_view name);
// NewAlreadyExists: `<resource> "<name>" already exists`.
Error already_exists_error(std::string_view qualified_resource, std::string_view name);
// NewConflict: `Operation cannot be fulfilled on <resource> "<name>": <detail>`.
Error conflict_error(std::string_view qualified_resource, std::string_view name,
                     std::string_view detail);
// NewForbidden: `<resource> "<name>" is forbidden: <detail>` (`<resource> is forbidden: ...` with
// no name).
Error forbidden_error(std::string_view qualified_resource, std::string_view name,
                      std::string_view detail);
Error bad_request_error(std::string message);
Error internal_error(std::string_view detail);
// The 404 of a path no resource serves.
Error path_not_found_error();
// The 405 of a method a resource does not serve.
Error method_not_allowed_error();
// NewResourceExpired: 410 with reason Expired.
Error expired_error(std::string message);
// NewTooLargeResourceVersionError: 504 Timeout, `Too large resource version: N, current: M`.
Error too_large_resource_version_error(uint64_t requested, uint64_t current);

// The Status object of an error: reason, code and message, with details as Kubernetes fills them.
// Details are recovered from the wording, which every constructor above keeps in upstream's form:
// `<resource> "<name>" ...` gives {name, group, kind: resource}; `<Kind> "<name>" is invalid`
// gives {name, group, kind: Kind}; causes are copied.
Json status_json_with_details(const Error& error);
Response status_response(const Error& error);
// The `{"kind":"Status","status":"Success", "details": {...}}` a delete returns for kinds that do
// not return the deleted object.
Json success_status(std::string_view name, std::string_view group, std::string_view resource,
                    std::string_view uid);

}  // namespace bosun::apiserver
