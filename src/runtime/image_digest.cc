#include "runtime/image_digest.h"

#include <openssl/evp.h>

#include "common/check.h"
#include "common/openssl_init.h"
#include "runtime/reference.h"

namespace bosun::runtime {

struct Sha256::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  BOSUN_CHECK(ctx_->md != nullptr && EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) == 1,
              "EVP sha256 init");
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t size) {
  if (size > 0) EVP_DigestUpdate(ctx_->md, data, size);
}

std::string Sha256::digest() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md, out, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string result = "sha256:";
  for (unsigned int i = 0; i < len; ++i) {
    result += kHex[out[i] >> 4];
    result += kHex[out[i] & 15];
  }
  return result;
}

std::string sha256_digest(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.digest();
}

Result<std::string> sha256_hex(std::string_view digest) {
  std::string why;
  if (!digest.starts_with("sha256:")) {
    if (validate_digest(digest, &why)) why = "unsupported digest algorithm";
    return make_error(ErrorCode::kBadRequest,
                      "invalid digest \"" + std::string(digest) + "\": " + why);
  }
  if (!validate_digest(digest, &why)) {
    return make_error(ErrorCode::kBadRequest,
                      "invalid digest \"" + std::string(digest) + "\": " + why);
  }
  return std::string(digest.substr(7));
}

std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids) {
  std::vector<std::string> out;
  out.reserve(diff_ids.size());
  for (const auto& diff_id : diff_ids) {
    if (out.empty()) {
      out.push_back(diff_id);
    } else {
      out.push_back(sha256_digest(out.back() + " " + diff_id));
    }
  }
  return out;
}

}  // namespace bosun::runtime
