// libarchive, loaded on first use: the functions layer unpacking and image import call, resolved
// from libarchive.so.13 with dlopen/dlsym (see dynamic_library.h for why). The bosun binary does
// not link libarchive, so an agent that never unpacks a layer nor imports an image never maps it
// nor libxml2, ICU and the compression libraries it brings. Thread-safe: loaded once; the table is
// immutable afterwards.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <string>

#include "common/result.h"

namespace bosun::runtime {

// The soname the bosun binary was built against (Debian's libarchive13 package).
inline constexpr const char* kLibarchiveSoname = "libarchive.so.13";

// One member per libarchive function we call, named as the function without its archive_ prefix.
struct Libarchive {
  decltype(&::archive_error_string) error_string = nullptr;
  // Reading.
  decltype(&::archive_read_new) read_new = nullptr;
  decltype(&::archive_read_free) read_free = nullptr;
  decltype(&::archive_read_support_filter_all) read_support_filter_all = nullptr;
  decltype(&::archive_read_support_format_raw) read_support_format_raw = nullptr;
  decltype(&::archive_read_support_format_empty) read_support_format_empty = nullptr;
  decltype(&::archive_read_support_format_tar) read_support_format_tar = nullptr;
  decltype(&::archive_read_support_format_gnutar) read_support_format_gnutar = nullptr;
  decltype(&::archive_read_open_filename) read_open_filename = nullptr;
  decltype(&::archive_read_open) read_open = nullptr;
  decltype(&::archive_read_next_header) read_next_header = nullptr;
  decltype(&::archive_read_data_block) read_data_block = nullptr;
  decltype(&::archive_read_data) read_data = nullptr;
  // Writing to disk.
  decltype(&::archive_write_disk_new) write_disk_new = nullptr;
  decltype(&::archive_write_disk_set_options) write_disk_set_options = nullptr;
  decltype(&::archive_write_header) write_header = nullptr;
  decltype(&::archive_write_data_block) write_data_block = nullptr;
  decltype(&::archive_write_finish_entry) write_finish_entry = nullptr;
  decltype(&::archive_write_close) write_close = nullptr;
  decltype(&::archive_write_free) write_free = nullptr;
  // Entries.
  decltype(&::archive_entry_pathname) entry_pathname = nullptr;
  decltype(&::archive_entry_set_pathname) entry_set_pathname = nullptr;
  decltype(&::archive_entry_hardlink) entry_hardlink = nullptr;
  decltype(&::archive_entry_set_hardlink) entry_set_hardlink = nullptr;
  decltype(&::archive_entry_symlink) entry_symlink = nullptr;
  decltype(&::archive_entry_filetype) entry_filetype = nullptr;
  decltype(&::archive_entry_size) entry_size = nullptr;
  decltype(&::archive_entry_xattr_reset) entry_xattr_reset = nullptr;
  decltype(&::archive_entry_xattr_next) entry_xattr_next = nullptr;
  decltype(&::archive_entry_xattr_clear) entry_xattr_clear = nullptr;
  decltype(&::archive_entry_xattr_add_entry) entry_xattr_add_entry = nullptr;
};

// libarchive.so.13, loaded on the first call; every later call returns the same table, or the
// same Error (kInternal, naming the library) if it is missing.
Result<const Libarchive*> libarchive();

// Loads `soname` as libarchive and resolves every function, without caching it: for tests of a
// missing library or symbol.
Result<Libarchive> load_libarchive(const std::string& soname);

}  // namespace bosun::runtime
