#include "runtime/libarchive.h"

#include "runtime/dynamic_library.h"

namespace bosun::runtime {

Result<Libarchive> load_libarchive(const std::string& soname) {
  BOSUN_ASSIGN_OR_RETURN(DynamicLibrary lib,
                         DynamicLibrary::open(soname, "to unpack image layers and archives"));
  Libarchive a;
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_error_string", a.error_string));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_read_new", a.read_new));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_read_free", a.read_free));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_read_support_filter_all", a.read_support_filter_all));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_read_support_format_raw", a.read_support_format_raw));
  BOSUN_RETURN_IF_ERROR(
      lib.resolve("archive_read_support_format_empty", a.read_support_format_empty));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_read_support_format_tar", a.read_support_format_tar));
  BOSUN_RETURN_IF_ERROR(
      lib.resolve("archive_read_support_format_gnutar", a.read_support_format_gnutar));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_read_open_filename", a.read_open_filename));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_read_open", a.read_open));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_read_next_header", a.read_next_header));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_read_data_block", a.read_data_block));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_read_data", a.read_data));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_write_disk_new", a.write_disk_new));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_write_disk_set_options", a.write_disk_set_options));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_write_header", a.write_header));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_write_data_block", a.write_data_block));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_write_finish_entry", a.write_finish_entry));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_write_close", a.write_close));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_write_free", a.write_free));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_entry_pathname", a.entry_pathname));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_entry_set_pathname", a.entry_set_pathname));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_entry_hardlink", a.entry_hardlink));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_entry_set_hardlink", a.entry_set_hardlink));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_entry_symlink", a.entry_symlink));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_entry_filetype", a.entry_filetype));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_entry_size", a.entry_size));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_entry_xattr_reset", a.entry_xattr_reset));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_entry_xattr_next", a.entry_xattr_next));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_entry_xattr_clear", a.entry_xattr_clear));
  BOSUN_RETURN_IF_ERROR(lib.resolve("archive_entry_xattr_add_entry", a.entry_xattr_add_entry));
  return a;
}

Result<const Libarchive*> libarchive() {
  // A function-local static: loaded once, by whichever thread unpacks first, the others waiting.
  static const Result<Libarchive> loaded = load_libarchive(kLibarchiveSoname);
  if (!loaded.ok()) return loaded.error();
  return &loaded.value();
}

}  // namespace bosun::runtime
