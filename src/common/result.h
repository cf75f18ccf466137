// Result<T>: a value or an Error. Errors carry the Kubernetes API's status codes so that the API
// edge can turn any of them into a `Status` object unchanged. No exceptions cross module
// boundaries; bad input is an Error. Value types: safe to use from any thread as any value is.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace bosun {

// The codes mirror metav1.StatusReason; http_code() gives the HTTP status Kubernetes uses for each.
enum class ErrorCode {
  kBadRequest,
  kUnauthorized,
  kForbidden,
  kNotFound,
  kAlreadyExists,
  kConflict,
  kGone,     // e.g. a watch's resourceVersion was compacted: reason "Expired", code 410
  kInvalid,  // field validation failed: reason "Invalid", code 422, with causes
  kMethodNotAllowed,
  kNotAcceptable,
  kUnsupportedMediaType,
  kRequestEntityTooLarge,
  kTooManyRequests,
  kTimeout,
  kServiceUnavailable,
  kInternal,
};

// One field-level cause of an error, as metav1.StatusCause: reason ("FieldValueInvalid"...),
// message, field path.
struct Cause {
  std::string reason;
  std::string message;
  std::string field;
  bool operator==(const Cause&) const = default;
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::vector<Cause> causes;

  // The metav1.StatusReason string ("NotFound", "Expired", "InternalError", ...).
  std::string_view reason() const;
  int http_code() const;
};

std::string_view error_code_name(ErrorCode code);

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message), {}};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design, like absl::StatusOr
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return check_value(), std::get<0>(v_); }
  const T& value() const& { return check_value(), std::get<0>(v_); }
  T&& value() && { return check_value(), std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return check_error(), std::get<1>(v_); }
  Error&& error() && { return check_error(), std::get<1>(std::move(v_)); }

  T value_or(T fallback) const& { return ok() ? std::get<0>(v_) : std::move(fallback); }

 private:
  void check_value() const {
    if (!ok()) {
      std::fprintf(stderr, "Result::value() on an error: %s\n", std::get<1>(v_).message.c_str());
      std::abort();
    }
  }
  void check_error() const {
    if (ok()) {
      std::fprintf(stderr, "Result::error() on a value\n");
      std::abort();
    }
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& {
    if (ok_) {
      std::fprintf(stderr, "Result::error() on a value\n");
      std::abort();
    }
    return error_;
  }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

inline Result<void> ok_result() { return {}; }

}  // namespace bosun

// Propagates an error from an expression of type Result<...>; otherwise evaluates to nothing.
#define BOSUN_RETURN_IF_ERROR(expr)                         \
  do {                                                      \
    auto bosun_r_ = (expr);                                 \
    if (!bosun_r_.ok()) return std::move(bosun_r_).error(); \
  } while (0)

#define BOSUN_CONCAT_INNER_(a, b) a##b
#define BOSUN_CONCAT_(a, b) BOSUN_CONCAT_INNER_(a, b)
// BOSUN_ASSIGN_OR_RETURN(auto x, f()); declares x from the value or returns the error.
#define BOSUN_ASSIGN_OR_RETURN(decl, expr) \
  BOSUN_ASSIGN_OR_RETURN_IMPL_(BOSUN_CONCAT_(bosun_r_, __LINE__), decl, expr)
#define BOSUN_ASSIGN_OR_RETURN_IMPL_(tmp, decl, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).error();       \
  decl = std::move(tmp).value()
