// Random (version 4, RFC 9562) UUIDs for metadata.uid and leader-election identities, as
// Kubernetes' apimachinery makes them (google/uuid NewRandom: 122 bits from the kernel's CSPRNG).
// Thread-safe: each thread draws from its own buffer of kernel randomness.
#pragma once

#include <string>

namespace bosun {

// "xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx", lowercase hex, V one of 8, 9, a, b.
std::string new_uuid();

}  // namespace bosun
