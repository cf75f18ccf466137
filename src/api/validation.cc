#include "api/validation.h"

#include <fmt/format.h>

namespace bosun::api {
namespace {

constexpr std::string_view kDns1123LabelErrMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must "
    "start and end with an alphanumeric character";
constexpr std::string_view kDns1123SubdomainErrMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', "
    "and must start and end with an alphanumeric character";
constexpr std::string_view kDns1035LabelErrMsg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character";
constexpr std::string_view kQualifiedNameErrMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";
constexpr std::string_view kLabelValueErrMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character";
constexpr std::string_view kCIdentifierErrMsg =
    "a valid C identifier must start with alphabetic character or '_', followed by a string of "
    "alphanumeric characters or '_'";
constexpr std::string_view kInvalidIpMsg =
    "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// [a-z0-9]([-a-z0-9]*[a-z0-9])? (any length; the callers check lengths separately, as Kubernetes
// does).
bool matches_dns1123_label(std::string_view s) {
  if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
  for (char c : s) {
    if (!is_lower_alnum(c) && c != '-') return false;
  }
  return true;
}

// Labels of the above joined by single dots.
bool matches_dns1123_subdomain(std::string_view s) {
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (!matches_dns1123_label(part)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// [a-z]([-a-z0-9]*[a-z0-9])?
bool matches_dns1035_label(std::string_view s) {
  return matches_dns1123_label(s) && s.front() >= 'a' && s.front() <= 'z';
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool matches_qualified_name_part(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  for (char c : s) {
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// Go 1.16's net.ParseIP, which k8s.io/utils/net.ParseIPSloppy keeps: decimal IPv4 octets may have
// leading zeros; numbers are read greedily and rejected only once they reach 0xFFFFFF.
constexpr int64_t kBig = 0xFFFFFF;

bool parse_ipv4(std::string_view s) {
  for (int i = 0; i < 4; ++i) {
    if (s.empty()) return false;
    if (i > 0) {
      if (s[0] != '.') return false;
      s.remove_prefix(1);
    }
    int64_t n = 0;
    size_t c = 0;
    for (; c < s.size() && is_digit(s[c]); ++c) {
      n = n * 10 + (s[c] - '0');
      if (n >= kBig) return false;
    }
    if (c == 0 || n > 0xFF) return false;
    s.remove_prefix(c);
  }
  return s.empty();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_ipv6(std::string_view s) {
  constexpr int kIpv6Len = 16;
  constexpr int kIpv4Len = 4;
  int ellipsis = -1;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    ellipsis = 0;
    s.remove_prefix(2);
    if (s.empty()) return true;
  }
  int i = 0;
  while (i < kIpv6Len) {
    int64_t n = 0;
    size_t c = 0;
    for (; c < s.size(); ++c) {
      int h = hex_value(s[c]);
      if (h < 0) break;
      n = n * 16 + h;
      if (n >= kBig) return false;
    }
    if (c == 0 || n > 0xFFFF) return false;
    if (c < s.size() && s[c] == '.') {
      // A trailing dotted IPv4 address fills the last 4 bytes.
      if (ellipsis < 0 && i != kIpv6Len - kIpv4Len) return false;
      if (i + kIpv4Len > kIpv6Len) return false;
      if (!parse_ipv4(s)) return false;
      s = {};
      i += kIpv4Len;
      break;
    }
    i += 2;
    s.remove_prefix(c);
    if (s.empty()) break;
    if (s[0] != ':' || s.size() == 1) return false;
    s.remove_prefix(1);
    if (s[0] == ':') {
      if (ellipsis >= 0) return false;
      ellipsis = i;
      s.remove_prefix(1);
      if (s.empty()) break;
    }
  }
  if (!s.empty()) return false;
  if (i < kIpv6Len) return ellipsis >= 0;
  // "::" must stand for at least one group of zeros.
  return ellipsis < 0;
}

}  // namespace

std::string max_len_error(size_t length) {
  return fmt::format("must be no more than {} characters", length);
}

std::string empty_error() { return "must be non-empty"; }

std::string inclusive_range_error(int64_t lo, int64_t hi) {
  return fmt::format("must be between {} and {}, inclusive", lo, hi);
}

// validation.RegexError, including its double space before " or " ("'a',  or 'b', ...") that users
// see.
std::string regex_error(std::string_view msg, std::string_view fmt,
                        std::initializer_list<std::string_view> examples) {
  std::string out(msg);
  if (examples.size() == 0) {
    out += " (regex used for validation is '";
    out += fmt;
    out += "')";
    return out;
  }
  out += " (e.g. ";
  bool first = true;
  for (std::string_view e : examples) {
    if (!first) out += " or ";
    first = false;
    out += '\'';
    out += e;
    out += "', ";
  }
  out += "regex used for validation is '";
  out += fmt;
  out += "')";
  return out;
}

bool dns1123_label_ok(std::string_view value) {
  return value.size() <= kDns1123LabelMaxLength && matches_dns1123_label(value);
}

bool dns1123_subdomain_ok(std::string_view value) {
  return value.size() <= kDns1123SubdomainMaxLength && matches_dns1123_subdomain(value);
}

bool qualified_name_ok(std::string_view value) {
  size_t slash = value.find('/');
  std::string_view name = value;
  if (slash != std::string_view::npos) {
    std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (name.find('/') != std::string_view::npos) return false;
    if (!dns1123_subdomain_ok(prefix)) return false;
  }
  return name.size() <= kQualifiedNameMaxLength && matches_qualified_name_part(name);
}

bool label_value_ok(std::string_view value) {
  return value.empty() ||
         (value.size() <= kLabelValueMaxLength && matches_qualified_name_part(value));
}

bool ip_ok(std::string_view value) {
  // net.ParseIP decides the family by the first '.' or ':' it meets.
  for (char c : value) {
    if (c == '.') return parse_ipv4(value);
    if (c == ':') return parse_ipv6(value);
  }
  return false;
}

std::vector<std::string> is_dns1123_label(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1123LabelMaxLength) errs.push_back(max_len_error(kDns1123LabelMaxLength));
  if (!matches_dns1123_label(value)) {
    if (matches_dns1123_subdomain(value)) {
      // A valid subdomain that is not a valid label can only be failing on its dots.
      errs.push_back("must not contain dots");
    } else {
      errs.push_back(regex_error(kDns1123LabelErrMsg, kDns1123LabelFmt, {"my-name", "123-abc"}));
    }
  }
  return errs;
}

std::vector<std::string> is_dns1123_subdomain(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1123SubdomainMaxLength) {
    errs.push_back(max_len_error(kDns1123SubdomainMaxLength));
  }
  if (!matches_dns1123_subdomain(value)) {
    errs.push_back(regex_error(kDns1123SubdomainErrMsg, kDns1123SubdomainFmt, {"example.com"}));
  }
  return errs;
}

std::vector<std::string> is_dns1035_label(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1035LabelMaxLength) errs.push_back(max_len_error(kDns1035LabelMaxLength));
  if (!matches_dns1035_label(value)) {
    errs.push_back(regex_error(kDns1035LabelErrMsg, kDns1035LabelFmt, {"my-name", "abc-123"}));
  }
  return errs;
}

std::vector<std::string> is_qualified_name(std::string_view value) {
  std::vector<std::string> errs;
  std::string_view name = value;
  size_t slash = value.find('/');
  if (slash != std::string_view::npos) {
    if (value.find('/', slash + 1) != std::string_view::npos) {
      // More than one '/': Kubernetes gives one summary message and checks nothing else.
      errs.push_back(
          "a qualified name " +
          regex_error(kQualifiedNameErrMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}) +
          " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return errs;
    }
    std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part " + empty_error());
    } else {
      for (auto& m : is_dns1123_subdomain(prefix)) errs.push_back("prefix part " + m);
    }
  }
  if (name.empty()) {
    errs.push_back("name part " + empty_error());
  } else if (name.size() > kQualifiedNameMaxLength) {
    errs.push_back("name part " + max_len_error(kQualifiedNameMaxLength));
  }
  if (!matches_qualified_name_part(name)) {
    errs.push_back("name part " + regex_error(kQualifiedNameErrMsg, kQualifiedNameFmt,
                                              {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> is_valid_label_value(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kLabelValueMaxLength) errs.push_back(max_len_error(kLabelValueMaxLength));
  if (!value.empty() && !matches_qualified_name_part(value)) {
    errs.push_back(
        regex_error(kLabelValueErrMsg, kLabelValueFmt, {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

std::vector<std::string> is_c_identifier(std::string_view value) {
  bool ok = !value.empty() && !is_digit(value.front());
  for (char c : value) ok = ok && (is_alnum(c) || c == '_');
  if (ok) return {};
  return {regex_error(kCIdentifierErrMsg, kCIdentifierFmt, {"my_name", "MY_NAME", "MyName"})};
}

std::vector<std::string> is_valid_port_num(int64_t port) { return is_in_range(port, 1, 65535); }

std::vector<std::string> is_in_range(int64_t value, int64_t min, int64_t max) {
  if (value >= min && value <= max) return {};
  return {inclusive_range_error(min, max)};
}

std::vector<std::string> is_valid_port_name(std::string_view port) {
  std::vector<std::string> errs;
  if (port.size() > kPortNameMaxLength) errs.push_back(max_len_error(kPortNameMaxLength));
  bool charset_ok = !port.empty();
  bool has_letter = false;
  for (char c : port) {
    charset_ok = charset_ok && (is_lower_alnum(c) || c == '-');
    has_letter = has_letter || (c >= 'a' && c <= 'z');
  }
  if (!charset_ok) {
    errs.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  }
  if (!has_letter) errs.push_back("must contain at least one letter (a-z)");
  if (port.find("--") != std::string_view::npos) {
    errs.push_back("must not contain consecutive hyphens");
  }
  if (!port.empty() && (port.front() == '-' || port.back() == '-')) {
    errs.push_back("must not begin or end with a hyphen");
  }
  return errs;
}

std::vector<std::string> is_valid_ip(std::string_view value) {
  if (ip_ok(value)) return {};
  return {std::string(kInvalidIpMsg)};
}

}  // namespace bosun::api
