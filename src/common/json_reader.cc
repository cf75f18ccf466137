#include "common/json_reader.h"

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string>

namespace bosun {
namespace {

// nlohmann's tree from simdjson's DOM. Keys are appended at the map's end: our encoder writes
// members sorted, so the hint is right nearly always (a wrong hint only costs a search), and
// insert_or_assign keeps the last of duplicate keys as nlohmann does. Recursion is bounded by
// simdjson's depth limit (kMaxDepth).
Json to_json(simdjson::dom::element e) {
  using Type = simdjson::dom::element_type;
  switch (e.type()) {
    case Type::OBJECT: {
      Json object = Json::object();
      auto& members = object.get_ref<Json::object_t&>();
      for (auto [key, value] : simdjson::dom::object(e)) {
        members.insert_or_assign(members.end(), std::string(key), to_json(value));
      }
      return object;
    }
    case Type::ARRAY: {
      simdjson::dom::array items(e);
      Json array = Json::array();
      auto& values = array.get_ref<Json::array_t&>();
      values.reserve(items.size());
      for (simdjson::dom::element item : items) values.push_back(to_json(item));
      return array;
    }
    case Type::STRING:
      return Json(std::string(std::string_view(e)));
    case Type::INT64: {
      // nlohmann keeps a number without a minus sign unsigned.
      int64_t v = int64_t(e);
      return v >= 0 ? Json(static_cast<uint64_t>(v)) : Json(v);
    }
    case Type::UINT64:
      return Json(uint64_t(e));
    case Type::DOUBLE:
      return Json(double(e));
    case Type::BOOL:
      return Json(bool(e));
    case Type::NULL_VALUE:
      break;
  }
  return Json(nullptr);
}

// Deeper documents (legal, but never ours) go to nlohmann, whose parser is iterative.
constexpr size_t kMaxDepth = 256;

// Objects up to this size reuse their thread's parser; larger ones (lists) get a parser of their
// own, so that no thread keeps buffers the size of the largest document it ever read.
constexpr size_t kThreadParserCapacity = 64 * 1024;

simdjson::dom::parser* thread_parser() {
  // Allocated on a thread's first parse: threads that never parse pay one pointer of TLS.
  thread_local std::unique_ptr<simdjson::dom::parser> parser;
  if (!parser) {
    auto made = std::make_unique<simdjson::dom::parser>(kThreadParserCapacity);
    if (made->allocate(kThreadParserCapacity, kMaxDepth) != simdjson::SUCCESS) return nullptr;
    parser = std::move(made);
  }
  return parser.get();
}

// nlohmann's verdict and message, for everything simdjson refuses: a byte order mark, a NUL byte
// ending the input, numbers beyond 64 bits or double range, deep nesting, or invalid JSON.
Result<Json> read_with_nlohmann(std::string_view text) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    return make_error(ErrorCode::kBadRequest, std::string("json: ") + e.what());
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kBadRequest, std::string("json: ") + e.what());
  }
}

}  // namespace

Result<Json> read_json(std::string_view text) {
  std::unique_ptr<simdjson::dom::parser> own;
  simdjson::dom::parser* parser = nullptr;
  if (text.empty()) {
    // Not JSON; and an empty view may carry a null pointer, which simdjson would copy from.
    return read_with_nlohmann(text);
  }
  if (text.size() <= kThreadParserCapacity) {
    parser = thread_parser();
  } else {
    own = std::make_unique<simdjson::dom::parser>(text.size());
    if (own->allocate(text.size(), kMaxDepth) == simdjson::SUCCESS) parser = own.get();
  }
  simdjson::dom::element root;
  if (parser != nullptr &&
      parser->parse(text.data(), text.size(), /*realloc_if_needed=*/true).get(root) ==
          simdjson::SUCCESS) {
    try {
      return to_json(root);
    } catch (const std::exception&) {
      // Allocation failure: nlohmann tries (and reports) it.
    }
  }
  return read_with_nlohmann(text);
}

}  // namespace bosun
