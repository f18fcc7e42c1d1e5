//===- ErrorText.h - The cause line of a runtime error ----------*- C++ -*-===//
//
// c10 and c10d errors append a C++ backtrace after their first line; a
// report names the cause only, so every place that turns an exception into
// a message goes through these.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_ERRORTEXT_H
#define DUALPIPE_RUNTIME_ERRORTEXT_H

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

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_ERRORTEXT_H
