#include "http/spdy.h"

#include <zlib.h>

#include <algorithm>

#include "common/check.h"

namespace bosun::apiserver {

namespace {

// The dictionary is the header names most requests carry, each as a length-prefixed string, then
// common values as raw text (draft 3, 2.6.10.1). Its Adler-32, 0xe3c6a7c2, is the DICTID every
// SPDY/3 header stream starts with.
std::string build_dictionary() {
  static const char* const kWords[] = {"options",
                                       "head",
                                       "post",
                                       "put",
                                       "delete",
                                       "trace",
                                       "accept",
                                       "accept-charset",
                                       "accept-encoding",
                                       "accept-language",
                                       "accept-ranges",
                                       "age",
                                       "allow",
                                       "authorization",
                                       "cache-control",
                                       "connection",
                                       "content-base",
                                       "content-encoding",
                                       "content-language",
                                       "content-length",
                                       "content-location",
                                       "content-md5",
                                       "content-range",
                                       "content-type",
                                       "date",
                                       "etag",
                                       "expect",
                                       "expires",
                                       "from",
                                       "host",
                                       "if-match",
                                       "if-modified-since",
                                       "if-none-match",
                                       "if-range",
                                       "if-unmodified-since",
                                       "last-modified",
                                       "location",
                                       "max-forwards",
                                       "pragma",
                                       "proxy-authenticate",
                                       "proxy-authorization",
                                       "range",
                                       "referer",
                                       "retry-after",
                                       "server",
                                       "te",
                                       "trailer",
                                       "transfer-encoding",
                                       "upgrade",
                                       "user-agent",
                                       "vary",
                                       "via",
                                       "warning",
                                       "www-authenticate",
                                       "method",
                                       "get",
                                       "status",
                                       "200 OK",
                                       "version",
                                       "HTTP/1.1",
                                       "url",
                                       "public",
                                       "set-cookie",
                                       "keep-alive",
                                       "origin"};
  std::string d;
  for (std::string_view w : kWords) {
    const auto n = static_cast<uint32_t>(w.size());
    d.push_back(static_cast<char>(n >> 24));
    d.push_back(static_cast<char>(n >> 16));
    d.push_back(static_cast<char>(n >> 8));
    d.push_back(static_cast<char>(n));
    d.append(w);
  }
  d += "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
       "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 "
       "Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 "
       "Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, "
       "Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/"
       "xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=gzip,deflate,"
       "sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";
  return d;
}

void put32(std::string& s, uint32_t v) {
  s.push_back(static_cast<char>(v >> 24));
  s.push_back(static_cast<char>(v >> 16));
  s.push_back(static_cast<char>(v >> 8));
  s.push_back(static_cast<char>(v));
}

uint32_t get32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

std::string control_header(SpdyFrameType type, uint8_t flags, size_t length) {
  std::string s;
  s.reserve(8 + length);
  s.push_back(static_cast<char>(0x80 | (kSpdyVersion >> 8)));
  s.push_back(static_cast<char>(kSpdyVersion & 0xff));
  const auto t = static_cast<uint16_t>(type);
  s.push_back(static_cast<char>(t >> 8));
  s.push_back(static_cast<char>(t & 0xff));
  put32(s, (uint32_t{flags} << 24) | static_cast<uint32_t>(length));
  return s;
}

Error bad(const std::string& why) { return make_error(ErrorCode::kBadRequest, "spdy: " + why); }

}  // namespace

std::string_view spdy_header_dictionary() {
  static const std::string kDictionary = build_dictionary();
  return kDictionary;
}

std::optional<std::string_view> SpdyFrame::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) {
      std::string_view value = v;
      return value.substr(0, value.find('\0'));
    }
  }
  return std::nullopt;
}

std::string encode_spdy_header_block(const SpdyHeaders& headers) {
  std::string s;
  put32(s, static_cast<uint32_t>(headers.size()));
  for (const auto& [name, value] : headers) {
    put32(s, static_cast<uint32_t>(name.size()));
    for (char c : name) s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    put32(s, static_cast<uint32_t>(value.size()));
    s.append(value);
  }
  return s;
}

// ---- parser

struct SpdyParser::Inflater {
  z_stream z{};
  bool ok = false;
  Inflater() { ok = inflateInit(&z) == Z_OK; }
  ~Inflater() {
    if (ok) inflateEnd(&z);
  }
};

SpdyParser::SpdyParser(size_t max_frame_bytes, size_t max_header_bytes)
    : max_frame_(std::min(max_frame_bytes, kSpdyMaxFrameLength)),
      max_header_(max_header_bytes),
      inflater_(std::make_unique<Inflater>()) {}

SpdyParser::~SpdyParser() = default;

Result<SpdyHeaders> SpdyParser::decompress_headers(std::string_view block) {
  if (!inflater_->ok) return make_error(ErrorCode::kInternal, "spdy: zlib unavailable");
  z_stream& z = inflater_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(block.data()));
  z.avail_in = static_cast<uInt>(block.size());
  std::string out;
  char chunk[4096];
  // The sender ends every header block with a SYNC_FLUSH, so all of it inflates from this
  // frame's bytes alone; the zlib state carries over to the next frame.
  while (true) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    int rc = inflate(&z, Z_SYNC_FLUSH);
    if (rc == Z_NEED_DICT) {
      std::string_view dict = spdy_header_dictionary();
      if (inflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dict.data()),
                               static_cast<uInt>(dict.size())) != Z_OK) {
        return bad("header block compressed with another dictionary");
      }
      continue;
    }
    const size_t produced = sizeof chunk - z.avail_out;
    if (out.size() + produced > max_header_) return bad("header block too large");
    out.append(chunk, produced);
    if (rc == Z_STREAM_END) return bad("header compression stream ended");
    if (rc == Z_BUF_ERROR) {
      // No progress possible: either all input is consumed (done) or it is truncated.
      if (z.avail_in == 0) break;
      return bad("corrupt header block");
    }
    if (rc != Z_OK) return bad("corrupt header block");
    if (z.avail_in == 0 && z.avail_out != 0) break;
  }
  // Count, then length-prefixed names and values.
  const auto* p = reinterpret_cast<const unsigned char*>(out.data());
  size_t left = out.size();
  auto take32 = [&](uint32_t* v) {
    if (left < 4) return false;
    *v = get32(p);
    p += 4;
    left -= 4;
    return true;
  };
  uint32_t count = 0;
  if (!take32(&count)) return bad("header block too short");
  // Each pair needs at least its two lengths: a count beyond that is a lie, not an allocation.
  if (count > left / 8) return bad("header block count exceeds its size");
  SpdyHeaders headers;
  headers.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t n = 0;
    if (!take32(&n) || n > left) return bad("header name overruns its block");
    std::string name(reinterpret_cast<const char*>(p), n);
    p += n;
    left -= n;
    uint32_t m = 0;
    if (!take32(&m) || m > left) return bad("header value overruns its block");
    std::string value(reinterpret_cast<const char*>(p), m);
    p += m;
    left -= m;
    // The draft: receivers ignore pairs with an empty name; Go's framer lowercases names.
    if (name.empty()) continue;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    headers.emplace_back(std::move(name), std::move(value));
  }
  if (left != 0) return bad("trailing bytes after the header block");
  return headers;
}

Result<void> SpdyParser::parse_control(uint16_t type, uint8_t flags, std::string_view payload,
                                       std::vector<SpdyFrame>* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(payload.data());
  const size_t n = payload.size();
  SpdyFrame f;
  f.flags = flags;
  auto need = [&](size_t k, const char* what) -> Result<void> {
    if (n < k) return bad(std::string(what) + " frame too short");
    return ok_result();
  };
  switch (type) {
    case static_cast<uint16_t>(SpdyFrameType::kSynStream): {
      BOSUN_RETURN_IF_ERROR(need(10, "SYN_STREAM"));
      f.type = SpdyFrameType::kSynStream;
      f.stream_id = get32(p) & 0x7fffffff;
      f.associated_stream_id = get32(p + 4) & 0x7fffffff;
      f.priority = p[8] >> 5;
      f.slot = p[9];
      BOSUN_ASSIGN_OR_RETURN(f.headers, decompress_headers(payload.substr(10)));
      if (f.stream_id == 0) return bad("stream id zero is disallowed");
      break;
    }
    case static_cast<uint16_t>(SpdyFrameType::kSynReply):
    case static_cast<uint16_t>(SpdyFrameType::kHeaders): {
      BOSUN_RETURN_IF_ERROR(need(4, "SYN_REPLY or HEADERS"));
      f.type = static_cast<SpdyFrameType>(type);
      f.stream_id = get32(p) & 0x7fffffff;
      BOSUN_ASSIGN_OR_RETURN(f.headers, decompress_headers(payload.substr(4)));
      if (f.stream_id == 0) return bad("stream id zero is disallowed");
      break;
    }
    case static_cast<uint16_t>(SpdyFrameType::kRstStream):
      if (n != 8) return bad("RST_STREAM frame has length " + std::to_string(n));
      f.type = SpdyFrameType::kRstStream;
      f.stream_id = get32(p) & 0x7fffffff;
      f.status = get32(p + 4);
      break;
    case static_cast<uint16_t>(SpdyFrameType::kSettings): {
      BOSUN_RETURN_IF_ERROR(need(4, "SETTINGS"));
      f.type = SpdyFrameType::kSettings;
      const uint32_t count = get32(p);
      if (count > (n - 4) / 8 || n != 4 + size_t{count} * 8) {
        return bad("SETTINGS count does not match its length");
      }
      f.settings.reserve(count);
      for (uint32_t i = 0; i < count; ++i) {
        const unsigned char* e = p + 4 + size_t{i} * 8;
        f.settings.push_back({e[0], get32(e) & 0xffffff, get32(e + 4)});
      }
      break;
    }
    case static_cast<uint16_t>(SpdyFrameType::kPing):
      if (n != 4) return bad("PING frame has length " + std::to_string(n));
      f.type = SpdyFrameType::kPing;
      f.ping_id = get32(p);
      break;
    case static_cast<uint16_t>(SpdyFrameType::kGoAway):
      if (n != 8) return bad("GOAWAY frame has length " + std::to_string(n));
      f.type = SpdyFrameType::kGoAway;
      f.stream_id = get32(p) & 0x7fffffff;
      f.status = get32(p + 4);
      break;
    case static_cast<uint16_t>(SpdyFrameType::kWindowUpdate):
      if (n != 8) return bad("WINDOW_UPDATE frame has length " + std::to_string(n));
      f.type = SpdyFrameType::kWindowUpdate;
      f.stream_id = get32(p) & 0x7fffffff;
      f.delta_window_size = get32(p + 4) & 0x7fffffff;
      break;
    default:
      return ok_result();  // NOOP, CREDENTIAL and unknown types: ignored
  }
  out->push_back(std::move(f));
  return ok_result();
}

Result<void> SpdyParser::feed(std::string_view data, std::vector<SpdyFrame>* out) {
  if (failed_) return bad("connection already failed");
  buffer_.append(data);
  while (true) {
    const size_t avail = buffer_.size() - consumed_;
    if (avail < 8) break;
    const auto* b = reinterpret_cast<const unsigned char*>(buffer_.data() + consumed_);
    const uint32_t first = get32(b);
    const uint8_t flags = b[4];
    const uint32_t length = get32(b + 4) & 0xffffff;
    const bool control = first & 0x80000000u;
    // Checked on the header alone, before a byte of the payload is buffered for it.
    if (length > max_frame_) {
      failed_ = true;
      return bad("frame of " + std::to_string(length) + " bytes exceeds the limit of " +
                 std::to_string(max_frame_));
    }
    if (control && ((first >> 16) & 0x7fff) != kSpdyVersion) {
      failed_ = true;
      return bad("unsupported version " + std::to_string((first >> 16) & 0x7fff));
    }
    if (avail < 8 + size_t{length}) break;
    std::string_view payload(buffer_.data() + consumed_ + 8, length);
    if (control) {
      auto r = parse_control(static_cast<uint16_t>(first & 0xffff), flags, payload, out);
      if (!r.ok()) {
        failed_ = true;
        return r;
      }
    } else {
      SpdyFrame f;
      f.type = SpdyFrameType::kData;
      f.stream_id = first & 0x7fffffff;
      f.flags = flags;
      f.data.assign(payload);
      if (f.stream_id == 0) {
        failed_ = true;
        return bad("stream id zero is disallowed");
      }
      out->push_back(std::move(f));
    }
    consumed_ += 8 + length;
  }
  // Compact once the parsed prefix dominates, so a long connection does not grow the buffer.
  if (consumed_ > 0 && (consumed_ == buffer_.size() || consumed_ >= 64 * 1024)) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return ok_result();
}

// ---- writer

struct SpdyWriter::Deflater {
  z_stream z{};
  Deflater() {
    // Go's framer compresses at BestCompression; any level reads back the same.
    BOSUN_CHECK(deflateInit(&z, Z_BEST_COMPRESSION) == Z_OK, "zlib deflateInit");
    std::string_view dict = spdy_header_dictionary();
    BOSUN_CHECK(deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dict.data()),
                                     static_cast<uInt>(dict.size())) == Z_OK,
                "zlib deflateSetDictionary");
  }
  ~Deflater() { deflateEnd(&z); }

  std::string compress(const std::string& in) {
    std::string out;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    char chunk[4096];
    do {
      z.next_out = reinterpret_cast<Bytef*>(chunk);
      z.avail_out = sizeof chunk;
      int rc = deflate(&z, Z_SYNC_FLUSH);
      BOSUN_CHECK(rc == Z_OK || rc == Z_BUF_ERROR, "zlib deflate");
      out.append(chunk, sizeof chunk - z.avail_out);
    } while (z.avail_out == 0);
    return out;
  }
};

SpdyWriter::SpdyWriter() : deflater_(std::make_unique<Deflater>()) {}
SpdyWriter::~SpdyWriter() = default;

std::string SpdyWriter::header_frame(SpdyFrameType type, uint8_t flags, std::string prefix,
                                     const SpdyHeaders& headers) {
  std::string block = deflater_->compress(encode_spdy_header_block(headers));
  std::string s = control_header(type, flags, prefix.size() + block.size());
  s += prefix;
  s += block;
  return s;
}

std::string SpdyWriter::syn_stream(uint32_t stream_id, const SpdyHeaders& headers, bool fin,
                                   uint32_t associated_stream_id, uint8_t priority) {
  std::string prefix;
  put32(prefix, stream_id & 0x7fffffff);
  put32(prefix, associated_stream_id & 0x7fffffff);
  prefix.push_back(static_cast<char>((priority & 7) << 5));
  prefix.push_back(0);
  return header_frame(SpdyFrameType::kSynStream, fin ? kSpdyFlagFin : 0, std::move(prefix),
                      headers);
}

std::string SpdyWriter::syn_reply(uint32_t stream_id, const SpdyHeaders& headers, bool fin) {
  std::string prefix;
  put32(prefix, stream_id & 0x7fffffff);
  return header_frame(SpdyFrameType::kSynReply, fin ? kSpdyFlagFin : 0, std::move(prefix), headers);
}

std::string SpdyWriter::headers(uint32_t stream_id, const SpdyHeaders& headers, bool fin) {
  std::string prefix;
  put32(prefix, stream_id & 0x7fffffff);
  return header_frame(SpdyFrameType::kHeaders, fin ? kSpdyFlagFin : 0, std::move(prefix), headers);
}

std::string SpdyWriter::data(uint32_t stream_id, std::string_view data, bool fin) {
  std::string s;
  do {
    const size_t n = std::min(data.size(), kSpdyMaxFrameLength);
    const bool last = n == data.size();
    put32(s, stream_id & 0x7fffffff);
    put32(s, (uint32_t{last && fin ? kSpdyFlagFin : uint8_t{0}} << 24) | static_cast<uint32_t>(n));
    s.append(data.substr(0, n));
    data.remove_prefix(n);
  } while (!data.empty());
  return s;
}

std::string SpdyWriter::rst_stream(uint32_t stream_id, uint32_t status) {
  std::string s = control_header(SpdyFrameType::kRstStream, 0, 8);
  put32(s, stream_id & 0x7fffffff);
  put32(s, status);
  return s;
}

std::string SpdyWriter::ping(uint32_t id) {
  std::string s = control_header(SpdyFrameType::kPing, 0, 4);
  put32(s, id);
  return s;
}

std::string SpdyWriter::goaway(uint32_t last_good_stream_id, uint32_t status) {
  std::string s = control_header(SpdyFrameType::kGoAway, 0, 8);
  put32(s, last_good_stream_id & 0x7fffffff);
  put32(s, status);
  return s;
}

std::string SpdyWriter::window_update(uint32_t stream_id, uint32_t delta) {
  std::string s = control_header(SpdyFrameType::kWindowUpdate, 0, 8);
  put32(s, stream_id & 0x7fffffff);
  put32(s, delta & 0x7fffffff);
  return s;
}

std::string SpdyWriter::settings(const std::vector<SpdySetting>& settings, uint8_t flags) {
  std::string s = control_header(SpdyFrameType::kSettings, flags, 4 + settings.size() * 8);
  put32(s, static_cast<uint32_t>(settings.size()));
  for (const auto& e : settings) {
    put32(s, (uint32_t{e.flags} << 24) | (e.id & 0xffffff));
    put32(s, e.value);
  }
  return s;
}

std::string SpdyWriter::encode(const SpdyFrame& f) {
  switch (f.type) {
    case SpdyFrameType::kData:
      return data(f.stream_id, f.data, f.fin());
    case SpdyFrameType::kSynStream: {
      std::string prefix;
      put32(prefix, f.stream_id & 0x7fffffff);
      put32(prefix, f.associated_stream_id & 0x7fffffff);
      prefix.push_back(static_cast<char>((f.priority & 7) << 5));
      prefix.push_back(static_cast<char>(f.slot));
      return header_frame(f.type, f.flags, std::move(prefix), f.headers);
    }
    case SpdyFrameType::kSynReply:
    case SpdyFrameType::kHeaders: {
      std::string prefix;
      put32(prefix, f.stream_id & 0x7fffffff);
      return header_frame(f.type, f.flags, std::move(prefix), f.headers);
    }
    case SpdyFrameType::kRstStream:
      return rst_stream(f.stream_id, f.status);
    case SpdyFrameType::kSettings:
      return settings(f.settings, f.flags);
    case SpdyFrameType::kPing:
      return ping(f.ping_id);
    case SpdyFrameType::kGoAway:
      return goaway(f.stream_id, f.status);
    case SpdyFrameType::kWindowUpdate:
      return window_update(f.stream_id, f.delta_window_size);
  }
  return {};
}

}  // namespace bosun::apiserver
