#include "http/gzip.h"

#include <zlib.h>

namespace bosun::apiserver {

namespace {
// windowBits 15 plus 16 asks zlib for a gzip header and trailer instead of a raw zlib stream.
constexpr int kGzipWindowBits = 15 + 16;
}  // namespace

Result<std::string> gzip_compress(std::string_view data, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return make_error(ErrorCode::kInternal, "gzip: deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, data.size()));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return make_error(ErrorCode::kInternal, "gzip: deflate did not finish");
  out.resize(produced);
  return out;
}

Result<std::string> gzip_decompress(std::string_view data, size_t max_output) {
  z_stream zs{};
  if (inflateInit2(&zs, kGzipWindowBits) != Z_OK) {
    return make_error(ErrorCode::kInternal, "gzip: inflateInit2 failed");
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return make_error(ErrorCode::kBadRequest, "gzip: corrupt or truncated data");
    }
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > max_output) {
      inflateEnd(&zs);
      return make_error(ErrorCode::kRequestEntityTooLarge, "gzip: decompressed data too large");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return make_error(ErrorCode::kBadRequest, "gzip: corrupt or truncated data");
    }
  }
  inflateEnd(&zs);
  return out;
}

}  // namespace bosun::apiserver
