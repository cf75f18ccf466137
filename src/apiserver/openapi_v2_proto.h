// Swagger 2.0 JSON to gnostic's openapi_v2.Document protobuf (github.com/google/gnostic
// openapiv2/OpenAPIv2.proto), the body kube-apiserver serves at /openapi/v2 for
// `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`: kubectl 1.27/1.28 read
// it for client-side validation (definitions, their properties and x-kubernetes-group-version-kind)
// and to learn whether a kind's PATCH takes fieldValidation. Like kube-openapi's ToProtoBinary it
// converts the JSON document, so JSON and protobuf never disagree. Pure; thread-safe.
#pragma once

#include <string>

#include "common/json.h"
#include "common/result.h"

namespace bosun::apiserver {

// Converts the parts of Swagger 2.0 that build_openapi_v2 writes: info, paths with operations,
// parameters (body, query, path, header, $ref) and responses, definitions with every schema keyword
// gnostic's Schema message has, and x- vendor extensions (their values as YAML, in gnostic's Any).
// A key the conversion does not know is an Internal error rather than silently dropped.
Result<std::string> openapi_v2_to_protobuf(const Json& swagger);

}  // namespace bosun::apiserver
