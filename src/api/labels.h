// The label set of an object (metadata.labels), the type label selectors match against, and the
// checks Kubernetes' ValidateLabels applies to it. Used by the API server's validation, the
// scheduler and the controllers. Plain values; not synchronised.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "common/field_errors.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::api {

// std::less<> so that lookups by std::string_view do not allocate (selector matching is a hot
// path).
using Labels = std::map<std::string, std::string, std::less<>>;

// metadata.labels as JSON (an object of strings, or null/absent = no labels) into a Labels map. Any
// other shape is a BadRequest, as Kubernetes' JSON decoder rejects it.
Result<Labels> labels_from_json(const Json& labels);
Json labels_to_json(const Labels& labels);

// ValidateLabelName: a label key (is_qualified_name) at `field`.
void validate_label_name(std::string_view key, std::string_view field, FieldErrors& errs);
// ValidateLabels: every key a qualified name, every value a valid label value; errors name `field`
// itself (e.g. "metadata.labels"), as Kubernetes does, not the individual key.
FieldErrors validate_labels(const Labels& labels, std::string_view field);

}  // namespace bosun::api
