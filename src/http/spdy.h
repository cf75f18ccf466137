// SPDY/3 framing (the protocol kubectl's `Upgrade: SPDY/3.1` speaks through moby/spdystream and
// golang.org/x/net/spdy) for the server side of `kubectl exec`, `attach` and `port-forward` before
// kubectl 1.30: a frame parser and serialiser with the header blocks compressed by zlib with the
// SPDY/3 dictionary, one zlib stream per direction for the whole connection (draft 3, 2.6.10).
// Used by the API server's SPDY exec and port-forward bridges. SpdyParser and SpdyWriter are not
// synchronised: one of each per connection, owned by whoever owns that direction.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace bosun::apiserver {

inline constexpr uint16_t kSpdyVersion = 3;

// A frame's kind. kData is a data frame (control bit clear); the others are control frame types.
enum class SpdyFrameType : uint16_t {
  kData = 0,
  kSynStream = 1,
  kSynReply = 2,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoAway = 7,
  kHeaders = 8,
  kWindowUpdate = 9,
};

inline constexpr uint8_t kSpdyFlagFin = 0x01;             // data, SYN_STREAM, SYN_REPLY, HEADERS
inline constexpr uint8_t kSpdyFlagUnidirectional = 0x02;  // SYN_STREAM
inline constexpr uint8_t kSpdyFlagClearSettings = 0x01;   // SETTINGS

// RST_STREAM status codes (draft 3, 2.6.3).
inline constexpr uint32_t kSpdyProtocolError = 1;
inline constexpr uint32_t kSpdyInvalidStream = 2;
inline constexpr uint32_t kSpdyRefusedStream = 3;
inline constexpr uint32_t kSpdyCancel = 5;
inline constexpr uint32_t kSpdyInternalError = 6;
inline constexpr uint32_t kSpdyStreamAlreadyClosed = 9;
// GOAWAY status codes.
inline constexpr uint32_t kSpdyGoAwayOk = 0;
inline constexpr uint32_t kSpdyGoAwayProtocolError = 1;

// The largest payload a frame's 24-bit length can carry.
inline constexpr size_t kSpdyMaxFrameLength = (1u << 24) - 1;

// A header block's name/value pairs in order. Names are lowercase (SPDY/3 requires it; Go's
// framer lowercases what it reads and writes); several values of one name are one value joined
// by NUL bytes, as on the wire.
using SpdyHeaders = std::vector<std::pair<std::string, std::string>>;

struct SpdySetting {
  uint8_t flags = 0;
  uint32_t id = 0;  // 24 bits
  uint32_t value = 0;
};

// One frame, unpacked. Which fields mean something depends on the type.
struct SpdyFrame {
  SpdyFrameType type = SpdyFrameType::kData;
  uint8_t flags = 0;
  // DATA, SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE (0: the connection's window,
  // SPDY/3.1); GOAWAY: the last stream id the sender accepted.
  uint32_t stream_id = 0;
  uint32_t associated_stream_id = 0;  // SYN_STREAM
  uint8_t priority = 0;               // SYN_STREAM, 0 (highest) to 7
  uint8_t slot = 0;                   // SYN_STREAM
  uint32_t status = 0;                // RST_STREAM, GOAWAY
  uint32_t ping_id = 0;               // PING
  uint32_t delta_window_size = 0;     // WINDOW_UPDATE, 31 bits
  std::vector<SpdySetting> settings;  // SETTINGS
  SpdyHeaders headers;                // SYN_STREAM, SYN_REPLY, HEADERS
  std::string data;                   // DATA

  bool fin() const { return (flags & kSpdyFlagFin) != 0; }
  // The first value of a header (before any NUL), by lowercase name.
  std::optional<std::string_view> header(std::string_view name) const;
};

// Reads the frames one peer sends over a connection. Frames may arrive split anywhere; feed()
// returns every frame completed so far. Allocation is bounded: a frame longer than
// max_frame_bytes, or a header block inflating past max_header_bytes, is an error, as is any
// malformed frame; after an error the connection must be ended (with GOAWAY PROTOCOL_ERROR), since
// the header zlib stream can no longer be trusted.
class SpdyParser {
 public:
  explicit SpdyParser(size_t max_frame_bytes = 1 << 20, size_t max_header_bytes = 64 << 10);
  ~SpdyParser();
  SpdyParser(const SpdyParser&) = delete;
  SpdyParser& operator=(const SpdyParser&) = delete;

  // Appends bytes and moves completed frames to `out`. Control frames of types SPDY/3 does not
  // define (NOOP, CREDENTIAL) are skipped, as the draft tells receivers to ignore them. Errors are
  // BadRequest ("spdy: ...").
  Result<void> feed(std::string_view data, std::vector<SpdyFrame>* out);

  struct Inflater;

 private:
  Result<void> parse_control(uint16_t type, uint8_t flags, std::string_view payload,
                             std::vector<SpdyFrame>* out);
  Result<SpdyHeaders> decompress_headers(std::string_view block);

  size_t max_frame_;
  size_t max_header_;
  std::string buffer_;
  size_t consumed_ = 0;  // bytes of buffer_ already parsed
  std::unique_ptr<Inflater> inflater_;
  bool failed_ = false;
};

// Serialises the frames one peer sends. Owns that direction's header compressor, so frames with
// header blocks must go out in the order they were encoded.
class SpdyWriter {
 public:
  SpdyWriter();
  ~SpdyWriter();
  SpdyWriter(const SpdyWriter&) = delete;
  SpdyWriter& operator=(const SpdyWriter&) = delete;

  // Any frame; DATA payloads longer than kSpdyMaxFrameLength are split into several frames (the
  // FIN flag on the last).
  std::string encode(const SpdyFrame& frame);

  std::string syn_stream(uint32_t stream_id, const SpdyHeaders& headers, bool fin = false,
                         uint32_t associated_stream_id = 0, uint8_t priority = 0);
  std::string syn_reply(uint32_t stream_id, const SpdyHeaders& headers, bool fin = false);
  std::string headers(uint32_t stream_id, const SpdyHeaders& headers, bool fin = false);
  std::string data(uint32_t stream_id, std::string_view data, bool fin = false);
  std::string rst_stream(uint32_t stream_id, uint32_t status);
  std::string ping(uint32_t id);
  std::string goaway(uint32_t last_good_stream_id, uint32_t status = kSpdyGoAwayOk);
  std::string window_update(uint32_t stream_id, uint32_t delta);
  std::string settings(const std::vector<SpdySetting>& settings, uint8_t flags = 0);

  struct Deflater;

 private:
  std::string header_frame(SpdyFrameType type, uint8_t flags, std::string prefix,
                           const SpdyHeaders& headers);

  std::unique_ptr<Deflater> deflater_;
};

// The SPDY/3 header compression dictionary (draft 3, 2.6.10.1), 1423 bytes.
std::string_view spdy_header_dictionary();

// The uncompressed header block of `headers`: count, then each length-prefixed name and value.
std::string encode_spdy_header_block(const SpdyHeaders& headers);

}  // namespace bosun::apiserver
