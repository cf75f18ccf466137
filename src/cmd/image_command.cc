#include "cmd/image_command.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "runtime/image_import.h"
#include "runtime/image_store.h"
#include "runtime/reference.h"

namespace bosun::cmd {
namespace {

struct ImageFlags {
  std::string data_dir;
  std::vector<std::string> args;
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "bosun image: %s\n", message.c_str());
  throw CLI::RuntimeError(1);
}

std::unique_ptr<runtime::ImageStore> open_store(const ImageFlags& f) {
  auto store = runtime::ImageStore::open(std::filesystem::path(f.data_dir) / "images");
  if (!store.ok()) fail(store.error().message);
  return std::move(store).value();
}

// Sizes as crictl prints them (go-units HumanSize: decimal units, 3 significant digits).
std::string human_size(int64_t bytes) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1000 && unit + 1 < std::size(kUnits)) {
    v /= 1000;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g%s", v, kUnits[unit]);
  return buf;
}

void import_images(const ImageFlags& f) {
  auto store = open_store(f);
  for (const std::string& file : f.args) {
    auto images = runtime::import_image_archive(*store, file);
    if (!images.ok()) fail(file + ": " + images.error().message);
    for (const runtime::Image& image : *images) {
      std::printf("imported %s (%s)\n", image.name.c_str(), image.id.c_str());
    }
  }
}

void list_images(const ImageFlags& f) {
  auto store = open_store(f);
  auto images = store->list();
  if (!images.ok()) fail(images.error().message);
  struct Row {
    std::string repo, tag, id, size;
  };
  std::vector<Row> rows = {{"IMAGE", "TAG", "IMAGE ID", "SIZE"}};
  for (const runtime::Image& image : *images) {
    Row row{image.name, "<none>", image.id.substr(image.id.find(':') + 1, 13),
            human_size(image.size)};
    if (auto ref = runtime::parse_image_reference(image.name); ref.ok()) {
      std::string familiar = ref->familiar();
      // familiar() is "repo[:tag][@digest]"; the table shows the repository and tag apart.
      if (size_t at = familiar.find('@'); at != std::string::npos) familiar.resize(at);
      size_t slash = familiar.rfind('/');
      size_t colon = familiar.rfind(':');
      if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
        row.tag = familiar.substr(colon + 1);
        familiar.resize(colon);
      }
      row.repo = familiar;
    }
    rows.push_back(std::move(row));
  }
  size_t w0 = 0, w1 = 0, w2 = 0;
  for (const Row& r : rows) {
    w0 = std::max(w0, r.repo.size());
    w1 = std::max(w1, r.tag.size());
    w2 = std::max(w2, r.id.size());
  }
  for (const Row& r : rows) {
    std::printf("%-*s   %-*s   %-*s   %s\n", static_cast<int>(w0), r.repo.c_str(),
                static_cast<int>(w1), r.tag.c_str(), static_cast<int>(w2), r.id.c_str(),
                r.size.c_str());
  }
}

void remove_images(const ImageFlags& f) {
  auto store = open_store(f);
  for (const std::string& ref : f.args) {
    auto image = store->get(ref);
    if (!image.ok()) fail(image.error().message);
    auto removed = store->remove(ref);
    if (!removed.ok()) fail(removed.error().message);
    std::printf("Deleted: %s\n", image->name.c_str());
  }
}

}  // namespace

void add_image_command(CLI::App& app, const std::string& default_data_dir) {
  auto flags = std::make_shared<ImageFlags>();
  flags->data_dir = default_data_dir;
  auto* image = app.add_subcommand("image", "Manage the node's local images");
  image->require_subcommand(1);
  // --data-dir is accepted before or after the verb (`bosun image import FILE --data-dir D`).
  auto add_data_dir = [&flags](CLI::App* cmd) {
    cmd->add_option("--data-dir", flags->data_dir, "The data dir whose images/ store to use")
        ->capture_default_str();
  };
  add_data_dir(image);

  auto* import_cmd = image->add_subcommand("import", "Import docker-archive or OCI archive files");
  import_cmd->add_option("files", flags->args, "Archive files (`docker save` or OCI layout tar)")
      ->required();
  add_data_dir(import_cmd);
  import_cmd->callback([flags] { import_images(*flags); });

  auto* ls_cmd = image->add_subcommand("ls", "List images");
  ls_cmd->alias("list");
  add_data_dir(ls_cmd);
  ls_cmd->callback([flags] { list_images(*flags); });

  auto* rm_cmd = image->add_subcommand("rm", "Remove images by reference or image ID");
  rm_cmd->alias("remove");
  rm_cmd->add_option("images", flags->args, "Image references or IDs")->required();
  add_data_dir(rm_cmd);
  rm_cmd->callback([flags] { remove_images(*flags); });
}

}  // namespace bosun::cmd
