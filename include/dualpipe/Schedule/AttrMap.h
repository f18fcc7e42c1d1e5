//===- AttrMap.h - A model's configuration and layer attributes -*- C++ -*-===//
//
// A spec's config and a layer's attributes are open-ended (each kernel reads
// its own keys), so the core model keeps them as a small typed value tree:
// the compiler fills it from MLIR attributes, the program file's reader from
// JSON, and the runtime's kernels read it through typed getters. The tree
// names no JSON library, so that this header, and every header that holds a
// model, stays usable in code built without exceptions (the MLIR side).
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_ATTRMAP_H
#define DUALPIPE_SCHEDULE_ATTRMAP_H

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace dualpipe {

class AttrMap;

/// One value: null, a bool, an integer, a floating-point number, a string,
/// a list or a map. Lists and maps are immutable once built, and shared by
/// copies.
class AttrValue {
public:
  AttrValue() = default;
  AttrValue(bool value) : value_(value) {}
  template <typename Int,
            std::enable_if_t<
                std::is_integral_v<Int> && !std::is_same_v<Int, bool>, int> = 0>
  AttrValue(Int value) : value_(static_cast<int64_t>(value)) {}
  AttrValue(double value) : value_(value) {}
  AttrValue(const char *value) : value_(std::string(value)) {}
  AttrValue(std::string value) : value_(std::move(value)) {}
  AttrValue(std::vector<AttrValue> list);
  AttrValue(AttrMap map);

  bool isNull() const { return value_.index() == 0; }
  bool isBool() const { return std::holds_alternative<bool>(value_); }
  bool isInt() const { return std::holds_alternative<int64_t>(value_); }
  /// An integer or a floating-point number.
  bool isNumber() const {
    return isInt() || std::holds_alternative<double>(value_);
  }
  bool isString() const { return std::holds_alternative<std::string>(value_); }
  bool isList() const;
  bool isMap() const;

  /// The value if it has that type, else nullopt (or null).
  std::optional<bool> asBool() const;
  std::optional<int64_t> asInt() const;
  /// Integers too, converted.
  std::optional<double> asNumber() const;
  const std::string *asString() const;
  const std::vector<AttrValue> *asList() const;
  const AttrMap *asMap() const;

  /// JSON notation, for messages: 8, 2.5, true, "x", [1,2], {"a":1}.
  std::string text() const;

  /// Integers and floating-point numbers differ (1 is not 1.0).
  friend bool operator==(const AttrValue &a, const AttrValue &b);
  friend bool operator!=(const AttrValue &a, const AttrValue &b) {
    return !(a == b);
  }

private:
  std::variant<std::monostate, bool, int64_t, double, std::string,
               std::shared_ptr<const std::vector<AttrValue>>,
               std::shared_ptr<const AttrMap>>
      value_;
};

/// Named values in key order.
class AttrMap {
public:
  using Entries = std::map<std::string, AttrValue, std::less<>>;
  using const_iterator = Entries::const_iterator;

  AttrMap() = default;
  AttrMap(std::initializer_list<Entries::value_type> entries)
      : entries_(entries) {}

  /// The value of `key`, or null when it is absent.
  const AttrValue *find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  /// The value of `key` if it is present and has that type.
  std::optional<int64_t> getInt(std::string_view key) const;
  std::optional<double> getNumber(std::string_view key) const;
  std::optional<bool> getBool(std::string_view key) const;
  std::optional<std::string> getString(std::string_view key) const;

  /// Inserts `key` (null) if it is absent.
  AttrValue &operator[](const std::string &key) { return entries_[key]; }
  void set(std::string key, AttrValue value) {
    entries_[std::move(key)] = std::move(value);
  }

  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  /// JSON notation, as AttrValue::text.
  std::string text() const;

  friend bool operator==(const AttrMap &a, const AttrMap &b) {
    return a.entries_ == b.entries_;
  }
  friend bool operator!=(const AttrMap &a, const AttrMap &b) {
    return !(a == b);
  }

private:
  Entries entries_;
};

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_ATTRMAP_H
