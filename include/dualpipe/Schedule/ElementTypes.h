//===- ElementTypes.h - The element types a model may use -------*- C++ -*-===//
//
// One list for the model-spec check, the program-file loader, the cost model's
// message bytes and the runtime's tensor options. float16 is not on it:
// Debian's CPU LibTorch has no half-precision matrix product, so a float16
// program could not pass --check on the machines that build and test it.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_ELEMENTTYPES_H
#define DUALPIPE_SCHEDULE_ELEMENTTYPES_H

#include <array>
#include <string>
#include <string_view>

namespace dualpipe {

struct ElementTypeInfo {
  std::string_view name;
  int bytes;
};

inline constexpr std::array<ElementTypeInfo, 3> kElementTypes = {{
    {"float32", 4},
    {"float64", 8},
    {"bfloat16", 2},
}};

/// The entry named `name`, or nullptr.
inline const ElementTypeInfo *findElementType(std::string_view name) {
  for (const ElementTypeInfo &type : kElementTypes)
    if (type.name == name)
      return &type;
  return nullptr;
}

/// "\"float32\", \"float64\", \"bfloat16\"", for error messages.
inline std::string elementTypeNames() {
  std::string list;
  for (const ElementTypeInfo &type : kElementTypes)
    list += (list.empty() ? "\"" : ", \"") + std::string(type.name) + "\"";
  return list;
}

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_ELEMENTTYPES_H
