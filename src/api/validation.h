// Name and value validation primitives of k8s.io/apimachinery/pkg/util/validation: each check
// returns the error details worded exactly as Kubernetes words them (empty = valid), for the object
// validators, the selector parsers and admission. Pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace bosun::api {

inline constexpr size_t kDns1123LabelMaxLength = 63;
inline constexpr size_t kDns1123SubdomainMaxLength = 253;
inline constexpr size_t kDns1035LabelMaxLength = 63;
inline constexpr size_t kQualifiedNameMaxLength = 63;
inline constexpr size_t kLabelValueMaxLength = 63;
inline constexpr size_t kPortNameMaxLength = 15;

// The regexes Kubernetes quotes in its messages. We never run them: the checks below are
// hand-written, because std::regex is far too slow for label matching and object validation.
inline constexpr std::string_view kDns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
inline constexpr std::string_view kDns1123SubdomainFmt =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
inline constexpr std::string_view kDns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
inline constexpr std::string_view kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
inline constexpr std::string_view kLabelValueFmt = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
inline constexpr std::string_view kCIdentifierFmt = "[A-Za-z_][A-Za-z0-9_]*";

// Object names of most kinds (metadata.name of a ConfigMap, Deployment, ...): at most 253
// characters of DNS-1123 labels joined by dots.
std::vector<std::string> is_dns1123_subdomain(std::string_view value);
// Namespace names, container names, Service port names' cousins: one DNS-1123 label of at most 63
// characters.
std::vector<std::string> is_dns1123_label(std::string_view value);
// Service names: a DNS-1035 label (must start with a letter), at most 63 characters.
std::vector<std::string> is_dns1035_label(std::string_view value);
// Label and annotation keys: an optional DNS-1123 subdomain prefix and '/', then a name of at most
// 63 characters (IsQualifiedName).
std::vector<std::string> is_qualified_name(std::string_view value);
// Label values: empty, or at most 63 characters shaped like the name part of a qualified name.
std::vector<std::string> is_valid_label_value(std::string_view value);
// Identifiers in C (no length limit), as Kubernetes checks some names.
std::vector<std::string> is_c_identifier(std::string_view value);
// A non-zero TCP/UDP port number.
std::vector<std::string> is_valid_port_num(int64_t port);
// An inclusive numeric range check (IsInRange).
std::vector<std::string> is_in_range(int64_t value, int64_t min, int64_t max);
// An IANA_SVC_NAME (RFC 6335) as used for containerPort and targetPort names.
std::vector<std::string> is_valid_port_name(std::string_view port);
// An IPv4 or IPv6 address, parsed as Kubernetes' netutils.ParseIPSloppy does (IPv4 octets may carry
// leading zeros; no zone, no CIDR suffix).
std::vector<std::string> is_valid_ip(std::string_view value);

// Allocation-free predicates with the same verdicts, for hot paths that only need yes/no.
bool dns1123_label_ok(std::string_view value);
bool dns1123_subdomain_ok(std::string_view value);
bool qualified_name_ok(std::string_view value);
bool label_value_ok(std::string_view value);
bool ip_ok(std::string_view value);

// The message builders of validation.go, for validators elsewhere that word their own checks the
// same way.
std::string max_len_error(size_t length);  // "must be no more than N characters"
std::string empty_error();                 // "must be non-empty"
std::string inclusive_range_error(int64_t lo,
                                  int64_t hi);  // "must be between lo and hi, inclusive"
std::string regex_error(std::string_view msg, std::string_view fmt,
                        std::initializer_list<std::string_view> examples = {});

}  // namespace bosun::api
