//===- AttrMap.cpp - A model's configuration and layer attributes --------===//
#include "dualpipe/Schedule/AttrMap.h"

#include "json/AttrJson.h"

#include <limits>

using json = nlohmann::json;

namespace dualpipe {

AttrValue::AttrValue(std::vector<AttrValue> list)
    : value_(std::make_shared<const std::vector<AttrValue>>(std::move(list))) {}

AttrValue::AttrValue(AttrMap map)
    : value_(std::make_shared<const AttrMap>(std::move(map))) {}

bool AttrValue::isList() const { return asList() != nullptr; }
bool AttrValue::isMap() const { return asMap() != nullptr; }

std::optional<bool> AttrValue::asBool() const {
  if (const bool *value = std::get_if<bool>(&value_))
    return *value;
  return std::nullopt;
}

std::optional<int64_t> AttrValue::asInt() const {
  if (const int64_t *value = std::get_if<int64_t>(&value_))
    return *value;
  return std::nullopt;
}

std::optional<double> AttrValue::asNumber() const {
  if (const double *value = std::get_if<double>(&value_))
    return *value;
  if (const int64_t *value = std::get_if<int64_t>(&value_))
    return static_cast<double>(*value);
  return std::nullopt;
}

const std::string *AttrValue::asString() const {
  return std::get_if<std::string>(&value_);
}

const std::vector<AttrValue> *AttrValue::asList() const {
  auto *list =
      std::get_if<std::shared_ptr<const std::vector<AttrValue>>>(&value_);
  return list ? list->get() : nullptr;
}

const AttrMap *AttrValue::asMap() const {
  auto *map = std::get_if<std::shared_ptr<const AttrMap>>(&value_);
  return map ? map->get() : nullptr;
}

std::string AttrValue::text() const { return toJson(*this).dump(); }

bool operator==(const AttrValue &a, const AttrValue &b) {
  if (const std::vector<AttrValue> *list = a.asList())
    return b.asList() && *list == *b.asList();
  if (const AttrMap *map = a.asMap())
    return b.asMap() && *map == *b.asMap();
  return a.value_ == b.value_;
}

const AttrValue *AttrMap::find(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

std::optional<int64_t> AttrMap::getInt(std::string_view key) const {
  const AttrValue *value = find(key);
  return value ? value->asInt() : std::nullopt;
}

std::optional<double> AttrMap::getNumber(std::string_view key) const {
  const AttrValue *value = find(key);
  return value ? value->asNumber() : std::nullopt;
}

std::optional<bool> AttrMap::getBool(std::string_view key) const {
  const AttrValue *value = find(key);
  return value ? value->asBool() : std::nullopt;
}

std::optional<std::string> AttrMap::getString(std::string_view key) const {
  const AttrValue *value = find(key);
  const std::string *text = value ? value->asString() : nullptr;
  return text ? std::optional<std::string>(*text) : std::nullopt;
}

std::string AttrMap::text() const { return toJson(*this).dump(); }

json toJson(const AttrValue &value) {
  if (std::optional<bool> flag = value.asBool())
    return *flag;
  if (std::optional<int64_t> integer = value.asInt())
    return *integer;
  if (std::optional<double> number = value.asNumber())
    return *number;
  if (const std::string *text = value.asString())
    return *text;
  if (const std::vector<AttrValue> *list = value.asList()) {
    json array = json::array();
    for (const AttrValue &element : *list)
      array.push_back(toJson(element));
    return array;
  }
  if (const AttrMap *map = value.asMap())
    return toJson(*map);
  return nullptr;
}

json toJson(const AttrMap &map) {
  json object = json::object();
  for (const auto &[key, value] : map)
    object[key] = toJson(value);
  return object;
}

AttrValue attrValueFromJson(const json &value) {
  switch (value.type()) {
  case json::value_t::boolean:
    return value.get<bool>();
  case json::value_t::number_integer:
    return value.get<int64_t>();
  case json::value_t::number_unsigned: {
    uint64_t number = value.get<uint64_t>();
    if (number <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return static_cast<int64_t>(number);
    return static_cast<double>(number);
  }
  case json::value_t::number_float:
    return value.get<double>();
  case json::value_t::string:
    return value.get<std::string>();
  case json::value_t::array: {
    std::vector<AttrValue> list;
    for (const json &element : value)
      list.push_back(attrValueFromJson(element));
    return list;
  }
  case json::value_t::object:
    return attrMapFromJson(value);
  default:
    return AttrValue();
  }
}

AttrMap attrMapFromJson(const json &value) {
  AttrMap map;
  if (value.is_object())
    for (const auto &item : value.items())
      map.set(item.key(), attrValueFromJson(item.value()));
  return map;
}

} // namespace dualpipe
