// BOSUN_CHECK: a broken invariant (a programming error, never bad input) aborts with where and why.
#pragma once

#include <cstdio>
#include <cstdlib>

#define BOSUN_CHECK(cond, msg)                                                               \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s: %s\n", __FILE__, __LINE__, #cond, msg); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)
