//===- OptionalOption.h - Pass options that may be left out -----*- C++ -*-===//
//
// A count such as `ranks` falls back to the spec's attribute when it is not
// given. A sentinel (0) cannot say "not given", since 0 must be reported as
// not positive, and the option's hasValue() does not survive the generated
// option structs: their constructors assign every field and so mark every
// option as given. An option of type std::optional<int64_t> carries "not
// given" in its value, through the structs and the pass pipelines alike.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_DIALECT_PIPE_TRANSFORMS_OPTIONALOPTION_H
#define DUALPIPE_DIALECT_PIPE_TRANSFORMS_OPTIONALOPTION_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>

namespace llvm::cl {

/// Parses an integer; `none` (any case) is "not given", which is also how a
/// pipeline prints an option left out (raw_ostream writes nullopt as
/// `None`), so that a printed pipeline parses back.
template <>
class parser<std::optional<int64_t>>
    : public basic_parser<std::optional<int64_t>> {
public:
  parser(Option &option) : basic_parser(option) {}

  bool parse(Option &option, StringRef, StringRef arg,
             std::optional<int64_t> &value) {
    if (arg.equals_insensitive("none")) {
      value = std::nullopt;
      return false;
    }
    int64_t parsed = 0;
    if (arg.getAsInteger(0, parsed))
      return option.error("'" + arg + "' is not an integer");
    value = parsed;
    return false;
  }

  StringRef getValueName() const override { return "long"; }

  /// For --print-options; an option of class type keeps no default to
  /// compare with.
  void printOptionDiff(const Option &option,
                       const std::optional<int64_t> &value, const OptVal &,
                       size_t globalWidth) const {
    printOptionName(option, globalWidth);
    outs() << "= ";
    if (value)
      outs() << *value;
    else
      outs() << "none";
    outs() << "\n";
  }
};

} // namespace llvm::cl

#endif // DUALPIPE_DIALECT_PIPE_TRANSFORMS_OPTIONALOPTION_H
