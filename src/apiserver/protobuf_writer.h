// A minimal Protocol Buffers wire-format encoder: varints, 64-bit doubles and length-delimited
// fields, with nested messages written in place. Enough to hand-write the few messages Bosun sends
// as protobuf (the gnostic OpenAPI v2 document kubectl 1.27/1.28 download) without a protobuf
// compiler. Fields are written in call order; proto3's "omit the default value" rule is the
// caller's. Not thread-safe: one writer builds one message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bosun::apiserver {

class ProtoWriter {
 public:
  // Wire type 0.
  void varint(uint32_t field, uint64_t value);
  void boolean(uint32_t field, bool value) { varint(field, value ? 1 : 0); }
  // Wire type 1 (IEEE 754, little-endian).
  void float64(uint32_t field, double value);
  // Wire type 2.
  void bytes(uint32_t field, std::string_view value);
  void string(uint32_t field, std::string_view value) { bytes(field, value); }

  // A nested message: open() writes the tag, the message's fields follow, close() inserts its
  // length. Opens and closes nest like parentheses.
  void open(uint32_t field);
  void close();

  const std::string& data() const { return buf_; }
  std::string take() { return std::move(buf_); }

 private:
  void tag(uint32_t field, uint32_t wire_type);
  void raw_varint(uint64_t value);

  std::string buf_;
  std::vector<size_t> open_;  // where each open message's body starts
};

}  // namespace bosun::apiserver
