#include "scheduler/node_selector.h"

#include <algorithm>
#include <charconv>

namespace bosun::scheduler {
namespace {

bool parse_int64(std::string_view text, int64_t& out) {
  if (text.empty()) return false;
  const char* begin = text.data();
  if (*begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

Error bad(std::string message) { return make_error(ErrorCode::kBadRequest, std::move(message)); }

// Returns false when Kubernetes would refuse the requirement (labels.NewRequirement's checks that
// matter for matching: operator, value count, integer Gt/Lt).
bool decode_requirement(const Json& json, bool field, NodeSelectorRequirement& out) {
  if (!json.is_object()) return false;
  auto key = json.find("key");
  auto op = json.find("operator");
  if (key == json.end() || !key->is_string() || op == json.end() || !op->is_string()) return false;
  out.key = key->get<std::string>();
  if (auto values = json.find("values"); values != json.end() && !values->is_null()) {
    if (!values->is_array()) return false;
    for (const Json& v : *values) {
      if (!v.is_string()) return false;
      out.values.push_back(v.get<std::string>());
    }
  }
  const std::string& name = op->get_ref<const std::string&>();
  if (name == "In") {
    out.op = NodeSelectorOp::kIn;
  } else if (name == "NotIn") {
    out.op = NodeSelectorOp::kNotIn;
  } else if (name == "Exists") {
    out.op = NodeSelectorOp::kExists;
  } else if (name == "DoesNotExist") {
    out.op = NodeSelectorOp::kDoesNotExist;
  } else if (name == "Gt") {
    out.op = NodeSelectorOp::kGt;
  } else if (name == "Lt") {
    out.op = NodeSelectorOp::kLt;
  } else {
    return false;
  }
  if (field) {
    // nodeSelectorRequirementsAsFieldSelector: only metadata.name, In/NotIn with one value.
    if (out.key != "metadata.name") return false;
    if (out.op != NodeSelectorOp::kIn && out.op != NodeSelectorOp::kNotIn) return false;
    if (out.values.size() != 1) return false;
  }
  switch (out.op) {
    case NodeSelectorOp::kIn:
    case NodeSelectorOp::kNotIn:
      if (out.values.empty()) return false;
      break;
    case NodeSelectorOp::kExists:
    case NodeSelectorOp::kDoesNotExist:
      if (!out.values.empty()) return false;
      break;
    case NodeSelectorOp::kGt:
    case NodeSelectorOp::kLt:
      if (out.values.size() != 1 || !parse_int64(out.values[0], out.number)) return false;
      break;
  }
  std::sort(out.values.begin(), out.values.end());
  return true;
}

}  // namespace

bool NodeSelectorRequirement::matches_value(std::string_view value, bool present) const {
  switch (op) {
    case NodeSelectorOp::kIn:
      return present && std::binary_search(values.begin(), values.end(), value);
    case NodeSelectorOp::kNotIn:
      return !present || !std::binary_search(values.begin(), values.end(), value);
    case NodeSelectorOp::kExists:
      return present;
    case NodeSelectorOp::kDoesNotExist:
      return !present;
    case NodeSelectorOp::kGt:
    case NodeSelectorOp::kLt: {
      int64_t n = 0;
      if (!present || !parse_int64(value, n)) return false;
      return op == NodeSelectorOp::kGt ? n > number : n < number;
    }
  }
  return false;
}

bool NodeSelectorRequirement::matches_labels(const api::Labels& labels) const {
  auto it = labels.find(key);
  if (it == labels.end()) return matches_value({}, false);
  return matches_value(it->second, true);
}

bool NodeSelectorTerm::matches(std::string_view node_name, const api::Labels& labels) const {
  // An empty term selects nothing (nodeaffinity skips it), as does one Kubernetes cannot parse.
  if (!valid || (match_expressions.empty() && match_fields.empty())) return false;
  for (const auto& r : match_expressions) {
    if (!r.matches_labels(labels)) return false;
  }
  for (const auto& r : match_fields) {
    if (!r.matches_value(node_name, true)) return false;
  }
  return true;
}

bool NodeSelector::matches(std::string_view node_name, const api::Labels& labels) const {
  for (const auto& term : terms) {
    if (term.matches(node_name, labels)) return true;
  }
  return false;
}

Result<NodeSelectorTerm> decode_node_selector_term(const Json& json) {
  NodeSelectorTerm term;
  if (json.is_null()) return term;
  if (!json.is_object()) return bad("nodeSelectorTerm: expected an object");
  for (const char* name : {"matchExpressions", "matchFields"}) {
    auto it = json.find(name);
    if (it == json.end() || it->is_null()) continue;
    if (!it->is_array()) return bad(std::string(name) + ": expected an array");
    bool field = name[5] == 'F';
    for (const Json& r : *it) {
      NodeSelectorRequirement req;
      if (!decode_requirement(r, field, req)) {
        term.valid = false;
        continue;
      }
      (field ? term.match_fields : term.match_expressions).push_back(std::move(req));
    }
  }
  return term;
}

Result<NodeSelector> decode_node_selector(const Json& json) {
  NodeSelector selector;
  if (json.is_null()) return selector;
  if (!json.is_object()) return bad("nodeSelector: expected an object");
  auto terms = json.find("nodeSelectorTerms");
  if (terms == json.end() || terms->is_null()) return selector;
  if (!terms->is_array()) return bad("nodeSelectorTerms: expected an array");
  for (const Json& t : *terms) {
    BOSUN_ASSIGN_OR_RETURN(auto term, decode_node_selector_term(t));
    selector.terms.push_back(std::move(term));
  }
  return selector;
}

}  // namespace bosun::scheduler
