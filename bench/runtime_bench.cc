// Image side of the node runtime: what a pod start pays when its image is present (store lookup),
// and what arrives with a new image (import of an archive, unpack of a layer). The test image is
// scripts/make-test-image.sh's busybox (one ~2 MB layer, ~75 entries). Baseline in the same run:
// GNU tar extracting the same layer (fork + exec included, as any external unpacker would pay).
// Needs root (unpacking sets ownership); writes under $TMPDIR.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "runtime/image_import.h"
#include "runtime/image_store.h"
#include "runtime/layer_unpack.h"

namespace {

namespace fs = std::filesystem;
using bosun::runtime::ImageStore;

struct Fixture {
  fs::path dir;
  fs::path archive;
  fs::path layer;
  fs::path layer_gz;
  bool ok = false;

  Fixture() {
    std::string tmpl = (fs::temp_directory_path() / "bosun-runtime-bench-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) return;
    dir = tmpl;
    archive = dir / "busybox.tar";
    fs::path script =
        fs::path(__FILE__).parent_path().parent_path() / "scripts" / "make-test-image.sh";
    std::string cmd = script.string() + " " + archive.string() + " >/dev/null && mkdir -p " +
                      (dir / "x").string() + " && tar -xf " + archive.string() + " -C " +
                      (dir / "x").string() + " && cp " + (dir / "x").string() + "/*/layer.tar " +
                      (dir / "layer.tar").string() + " && gzip -c " + (dir / "layer.tar").string() +
                      " > " + (dir / "layer.tar.gz").string();
    ok = std::system(cmd.c_str()) == 0;
    layer = dir / "layer.tar";
    layer_gz = dir / "layer.tar.gz";
  }
  ~Fixture() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

bool ready(benchmark::State& state) {
  if (geteuid() != 0) {
    state.SkipWithError("needs root");
    return false;
  }
  if (!fixture().ok) {
    state.SkipWithError(
        "could not build the test image (scripts/make-test-image.sh, busybox-static)");
    return false;
  }
  return true;
}

void unpack(benchmark::State& state, const fs::path& layer) {
  if (!ready(state)) return;
  fs::path dest = fixture().dir / "unpack";
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(dest);
    fs::create_directories(dest);
    state.ResumeTiming();
    auto r = bosun::runtime::unpack_layer(layer, dest);
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(fs::file_size(fixture().layer)));
}

void BM_UnpackBusyboxLayer(benchmark::State& state) { unpack(state, fixture().layer); }
void BM_UnpackBusyboxLayerGzip(benchmark::State& state) { unpack(state, fixture().layer_gz); }

void BM_BaselineGnuTarExtract(benchmark::State& state) {
  if (!ready(state)) return;
  fs::path dest = fixture().dir / "tar";
  std::string cmd = "tar -xpf " + fixture().layer.string() + " -C " + dest.string();
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(dest);
    fs::create_directories(dest);
    state.ResumeTiming();
    if (std::system(cmd.c_str()) != 0) state.SkipWithError("tar failed");
  }
}

// `bosun image import` of the docker-archive: stage, verify, store, unpack.
void BM_ImportTestArchive(benchmark::State& state) {
  if (!ready(state)) return;
  fs::path root = fixture().dir / "import";
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(root);
    auto store = ImageStore::open(root);
    state.ResumeTiming();
    auto images = bosun::runtime::import_image_archive(**store, fixture().archive);
    if (!images.ok()) state.SkipWithError(images.error().message.c_str());
  }
}

// What the agent does on every container start when the image is present: resolve a name (or an
// ID) against a store holding 100 names.
void lookup(benchmark::State& state, const char* what) {
  if (!ready(state)) return;
  fs::path root = fixture().dir / "lookup";
  fs::remove_all(root);
  auto store = ImageStore::open(root);
  auto images = bosun::runtime::import_image_archive(**store, fixture().archive);
  if (!images.ok()) {
    state.SkipWithError(images.error().message.c_str());
    return;
  }
  for (int i = 0; i < 99; ++i) {
    (void)(*store)->put_image("example.com/app" + std::to_string(i) + ":v1", (*images)[0].target);
  }
  std::string ref = std::string(what) == "id" ? (*images)[0].id : "busybox";
  for (auto _ : state) {
    auto image = (*store)->get(ref);
    benchmark::DoNotOptimize(image);
  }
}
void BM_StoreLookupByName(benchmark::State& state) { lookup(state, "name"); }
void BM_StoreLookupById(benchmark::State& state) { lookup(state, "id"); }

BENCHMARK(BM_UnpackBusyboxLayer)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_UnpackBusyboxLayerGzip)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BaselineGnuTarExtract)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ImportTestArchive)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StoreLookupByName)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_StoreLookupById)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
