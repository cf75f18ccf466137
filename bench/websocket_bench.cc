// The exec stream's framing: what the agent pays per stdout chunk (encoding a channel frame) and
// what it pays per stdin chunk from kubectl (parsing a masked client frame), at the sizes a session
// sees (a keystroke, a line, the 32 KiB pipe reads of a busy command).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "http/websocket.h"

namespace {

using namespace bosun::apiserver;

void BM_EncodeStdoutFrame(benchmark::State& state) {
  std::string data(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    std::string frame = encode_channel_frame(kStdoutChannel, data);
    benchmark::DoNotOptimize(frame);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_EncodeStdoutFrame)->Arg(1)->Arg(80)->Arg(32 * 1024);

void BM_ParseMaskedStdinFrames(benchmark::State& state) {
  std::string data(static_cast<size_t>(state.range(0)), 'y');
  std::string frame = encode_channel_frame(kStdinChannel, data, 0x1234abcd);
  WebSocketParser parser(true);
  std::vector<WebSocketMessage> out;
  for (auto _ : state) {
    out.clear();
    auto r = parser.feed(frame, &out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ParseMaskedStdinFrames)->Arg(1)->Arg(80)->Arg(32 * 1024);

}  // namespace

BENCHMARK_MAIN();
