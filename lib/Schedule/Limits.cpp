//===- Limits.cpp - Overflow-safe arithmetic and bound messages -----------===//

#include "dualpipe/Schedule/Limits.h"

#include <cmath>
#include <limits>
#include <sstream>

namespace dualpipe {

std::optional<int64_t> checkedAdd(int64_t a, int64_t b) {
  int64_t result = 0;
  if (__builtin_add_overflow(a, b, &result))
    return std::nullopt;
  return result;
}

std::optional<int64_t> checkedMul(int64_t a, int64_t b) {
  int64_t result = 0;
  if (__builtin_mul_overflow(a, b, &result))
    return std::nullopt;
  return result;
}

int64_t saturatingMul(int64_t a, int64_t b) {
  if (std::optional<int64_t> product = checkedMul(a, b))
    return *product;
  return (a < 0) != (b < 0) ? std::numeric_limits<int64_t>::min()
                            : std::numeric_limits<int64_t>::max();
}

std::string checkPositiveAtMost(const std::string &what, int64_t value,
                                int64_t bound) {
  if (value <= 0)
    return what + " must be positive, got " + std::to_string(value);
  if (value > bound)
    return what + " must be at most " + std::to_string(bound) + ", got " +
           std::to_string(value);
  return "";
}

std::string checkProductAtMost(const std::string &what, int64_t a, int64_t b,
                               int64_t bound) {
  int64_t product = saturatingMul(a, b);
  if (product <= bound)
    return "";
  return what + " must be at most " + std::to_string(bound) + ", got " +
         (product == std::numeric_limits<int64_t>::max()
              ? std::string("a product that overflows int64")
              : std::to_string(product));
}

std::string checkPlacementBounds(int64_t ranks, int64_t stages,
                                 int64_t microbatches) {
  for (std::string error :
       {checkPositiveAtMost("ranks", ranks, kMaxRanks),
        checkPositiveAtMost("stages", stages, kMaxStages),
        checkPositiveAtMost("microbatches", microbatches, kMaxMicrobatches),
        checkProductAtMost("stages * microbatches", stages, microbatches,
                           kMaxStageMicrobatches)})
    if (!error.empty())
      return error;
  return "";
}

std::string checkCost(const std::string &what, double value) {
  if (value >= 0 && value <= kMaxCost)
    return "";
  std::ostringstream os;
  os << what << " must be finite, >= 0 and <= " << kMaxCost << ", got "
     << value;
  return os.str();
}

} // namespace dualpipe
