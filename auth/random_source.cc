#include "auth/random_source.h"

#include "auth/crypto.h"

namespace identity::auth {
namespace {

class CsprngSource final : public RandomSource {
 public:
  absl::Status Fill(absl::Span<uint8_t> out) override {
    return crypto::RandomBytes(out);
  }
};

}  // namespace

RandomSource& SystemRandom() {
  static CsprngSource* source = new CsprngSource();
  return *source;
}

}  // namespace identity::auth
