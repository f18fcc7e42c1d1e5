//===- JsonText.cpp - Parsing JSON text within the bounds -----------------===//

#include "json/JsonText.h"
#include "dualpipe/Schedule/Limits.h"

#include <nlohmann/json.hpp>

namespace dualpipe {

std::string checkJsonDepth(std::string_view text, int maxDepth) {
  int depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i; // the escaped character cannot end the string
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > maxDepth)
        return "JSON nested deeper than " + std::to_string(maxDepth) +
               " levels at byte " + std::to_string(i);
    } else if (c == ']' || c == '}') {
      --depth; // unbalanced text is the parser's to report
    }
  }
  return "";
}

std::string checkJsonDepth(std::string_view text) {
  return checkJsonDepth(text, kMaxJsonDepth);
}

std::optional<nlohmann::json> parseJsonText(std::string_view text,
                                            std::string &error) {
  if (std::string deep = checkJsonDepth(text); !deep.empty()) {
    error = deep;
    return std::nullopt;
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception &e) {
    error = std::string("not valid JSON: ") + e.what();
  }
  return std::nullopt;
}

} // namespace dualpipe
