// Node selection as the NodeAffinity plugin applies it: core/v1 NodeSelector (OR of terms, each an
// AND of matchExpressions on labels and matchFields on metadata.name) and preferred terms, matched
// the way Kubernetes' component-helpers nodeaffinity package does. Decoded once per pod from JSON,
// then matched allocation-free against every node. Immutable after decoding: safe to share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/labels.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::scheduler {

enum class NodeSelectorOp : uint8_t { kIn, kNotIn, kExists, kDoesNotExist, kGt, kLt };

struct NodeSelectorRequirement {
  std::string key;
  NodeSelectorOp op = NodeSelectorOp::kIn;
  std::vector<std::string> values;  // sorted, for binary search
  int64_t number = 0;               // the value of Gt/Lt

  bool matches_labels(const api::Labels& labels) const;
  bool matches_value(std::string_view value, bool present) const;
};

// A term Kubernetes could not parse (an unknown operator, a bad Gt value, a matchField other than
// metadata.name) matches no node, but the other terms still count, as nodeaffinity.NewNodeSelector
// with its lazy error handling does.
struct NodeSelectorTerm {
  std::vector<NodeSelectorRequirement> match_expressions;
  std::vector<NodeSelectorRequirement> match_fields;  // key is always metadata.name
  bool valid = true;

  bool matches(std::string_view node_name, const api::Labels& labels) const;
};

struct NodeSelector {
  std::vector<NodeSelectorTerm> terms;
  // OR of the terms; no terms matches nothing.
  bool matches(std::string_view node_name, const api::Labels& labels) const;
};

struct PreferredSchedulingTerm {
  int32_t weight = 0;
  NodeSelectorTerm preference;
};

// A NodeSelectorTerm JSON object. Never fails on a bad requirement (the term becomes invalid); a
// value of the wrong JSON type is a BadRequest.
Result<NodeSelectorTerm> decode_node_selector_term(const Json& json);
Result<NodeSelector> decode_node_selector(const Json& json);

}  // namespace bosun::scheduler
