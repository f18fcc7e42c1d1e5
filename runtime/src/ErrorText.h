//===- ErrorText.h - Spellings shared by the runtime's errors ---*- C++ -*-===//
//
// c10 and c10d errors append a C++ backtrace after their first line; a
// report names the cause only, so every place that turns an exception into
// a message goes through these. Instructions and messages are spelled by the
// core (describeInstr, describe in Dependencies.h), as the compiler does.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_ERRORTEXT_H
#define DUALPIPE_RUNTIME_ERRORTEXT_H

#include <c10/util/ArrayRef.h>
#include <c10/util/Exception.h>

#include <exception>
#include <string>

namespace dualpipe::runtime {

inline std::string firstLine(const std::string &text) {
  return text.substr(0, text.find('\n'));
}

inline std::string causeOf(const std::exception &e) {
  if (auto *error = dynamic_cast<const c10::Error *>(&e))
    return firstLine(error->what_without_backtrace());
  return firstLine(e.what());
}

/// "[4, 32]": a tensor shape as every runtime message spells it.
inline std::string shapeText(c10::IntArrayRef sizes) {
  std::string text = "[";
  for (size_t i = 0; i < sizes.size(); ++i)
    text += (i ? ", " : "") + std::to_string(sizes[i]);
  return text + "]";
}

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_ERRORTEXT_H
