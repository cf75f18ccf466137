// Request bodies in Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf: the
// "k8s\0" magic and a runtime.Unknown envelope around the object's generated.proto message),
// decoded into the object's JSON. kubectl 1.32+ sends them from its typed create subcommands
// (`kubectl create namespace|configmap|secret|serviceaccount|deployment|service|role|rolebinding|
// clusterrole|clusterrolebinding|quota`), so those kinds are understood here, with the fields those
// commands set and the common ones around them; any other kind is UnsupportedMediaType (415), as a
// server without its protobuf codec answers. Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "common/json.h"
#include "common/result.h"

namespace bosun::apiserver {

inline constexpr std::string_view kProtobufContentType = "application/vnd.kubernetes.protobuf";

// The object as JSON, apiVersion and kind from the envelope. Zero values of fields Go would omit
// are left out, as decoding into the Go types and encoding them as JSON would. BadRequest for a
// malformed body; UnsupportedMediaType for a kind not listed above.
Result<Json> decode_kubernetes_protobuf(std::string_view body);

}  // namespace bosun::apiserver
