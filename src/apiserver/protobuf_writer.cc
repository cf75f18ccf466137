#include "apiserver/protobuf_writer.h"

#include <cstring>

#include "common/check.h"

namespace bosun::apiserver {

namespace {

size_t encode_varint(uint64_t value, char* out) {
  size_t n = 0;
  while (value >= 0x80) {
    out[n++] = static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  out[n++] = static_cast<char>(value);
  return n;
}

}  // namespace

void ProtoWriter::raw_varint(uint64_t value) {
  char tmp[10];
  buf_.append(tmp, encode_varint(value, tmp));
}

void ProtoWriter::tag(uint32_t field, uint32_t wire_type) {
  raw_varint((static_cast<uint64_t>(field) << 3) | wire_type);
}

void ProtoWriter::varint(uint32_t field, uint64_t value) {
  tag(field, 0);
  raw_varint(value);
}

void ProtoWriter::float64(uint32_t field, double value) {
  tag(field, 1);
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  for (int i = 0; i < 8; ++i) buf_.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
}

void ProtoWriter::bytes(uint32_t field, std::string_view value) {
  tag(field, 2);
  raw_varint(value.size());
  buf_.append(value);
}

void ProtoWriter::open(uint32_t field) {
  tag(field, 2);
  open_.push_back(buf_.size());
}

void ProtoWriter::close() {
  BOSUN_CHECK(!open_.empty(), "ProtoWriter::close without open");
  size_t start = open_.back();
  open_.pop_back();
  char tmp[10];
  size_t n = encode_varint(buf_.size() - start, tmp);
  // Only this message's own bytes follow `start`, so the insert moves each byte once per level of
  // nesting: a few megabytes for the whole OpenAPI document.
  buf_.insert(start, tmp, n);
}

}  // namespace bosun::apiserver
