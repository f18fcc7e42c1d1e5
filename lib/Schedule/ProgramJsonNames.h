//===- ProgramJsonNames.h - Spellings shared by writer and reader -*- C++
//-*-===//
//
// The program file's names for compute ops and message kinds, stated once so
// that what the writer emits is what the reader accepts.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_LIB_SCHEDULE_PROGRAMJSONNAMES_H
#define DUALPIPE_LIB_SCHEDULE_PROGRAMJSONNAMES_H

#include "dualpipe/Schedule/Schedule.h"

#include <optional>
#include <string_view>

namespace dualpipe::program_json {

inline std::string_view opName(OpKind kind) {
  switch (kind) {
  case OpKind::F:
    return "forward";
  case OpKind::B:
    return "backward";
  case OpKind::I:
    return "backward_input";
  case OpKind::W:
    return "backward_weight";
  }
  return "forward";
}

inline std::optional<OpKind> parseOpName(std::string_view name) {
  for (OpKind kind : {OpKind::F, OpKind::B, OpKind::I, OpKind::W})
    if (opName(kind) == name)
      return kind;
  return std::nullopt;
}

inline std::optional<MsgKind> parseMsgKind(std::string_view name) {
  for (MsgKind kind : {MsgKind::Activation, MsgKind::Gradient})
    if (toString(kind) == name)
      return kind;
  return std::nullopt;
}

} // namespace dualpipe::program_json

#endif // DUALPIPE_LIB_SCHEDULE_PROGRAMJSONNAMES_H
