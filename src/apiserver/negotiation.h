// Content negotiation for the REST handlers, as Kubernetes' endpoints/handlers/negotiation does
// it: which representation a response takes from the Accept header (plain JSON or YAML, a
// meta.k8s.io Table, or PartialObjectMetadata), and which decoder a request body needs from its
// Content-Type. Protobuf is not served: an Accept that offers only protobuf gets 406, a protobuf
// body 415. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace bosun::apiserver {

enum class OutputKind {
  kObject,                 // the object or list itself
  kTable,                  // meta.k8s.io Table (kubectl get)
  kPartialObjectMetadata,  // meta.k8s.io PartialObjectMetadata(List) (metadata-only informers)
};

struct OutputFormat {
  OutputKind kind = OutputKind::kObject;
  bool yaml = false;         // application/yaml instead of JSON (objects only)
  std::string meta_version;  // "v1" or "v1beta1" for Table and PartialObjectMetadata
  std::string content_type() const { return yaml ? "application/yaml" : "application/json"; }
};

// The first acceptable media range of `accept` in the client's order of preference (quality
// values, then the order given). An empty header means JSON. Table and PartialObjectMetadata are
// acceptable only where `allow_meta_forms` (get, list and watch of a resource). NotAcceptable (406)
// with Kubernetes' message when nothing offered can be served.
Result<OutputFormat> negotiate_output(std::string_view accept, bool allow_meta_forms);

enum class BodyFormat { kJson, kYaml, kProtobuf };

// The decoder for a create or update body: JSON, YAML, or Kubernetes' protobuf (protobuf_body.h
// knows the kinds kubectl's create subcommands send). UnsupportedMediaType (415) for anything else,
// with Kubernetes' message. A missing Content-Type is taken as JSON.
Result<BodyFormat> negotiate_body(std::string_view content_type);

enum class PatchType { kJsonPatch, kMergePatch, kStrategicMergePatch, kApply };

// The four patch types Kubernetes accepts, by Content-Type (parameters such as charset ignored).
// UnsupportedMediaType (415) otherwise.
Result<PatchType> negotiate_patch(std::string_view content_type);

// The media type without parameters, lower-cased: "application/json".
std::string media_type_of(std::string_view content_type);

}  // namespace bosun::apiserver
