#pragma once
// JSON text for everything basin writes or prints (config.json, metrics.jsonl,
// checkpoint and weights metadata, --json summaries). Paths and other user text
// may hold bytes that are not UTF-8 (a Latin-1 folder name); nlohmann's plain
// dump() throws a library exception on them. Here they become U+FFFD instead,
// so writing never fails on a name. (Settings that must survive a round trip,
// such as --data for --resume, are checked to be UTF-8 where they are given.)
#include <string>

#include <nlohmann/json.hpp>

namespace basin::io {

// A template so an ordered_json (the safetensors header, whose key order is part
// of the file) is written in its own order instead of being copied into a
// sorted nlohmann::json.
template <typename Json>
std::string json_text(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

// True when `s` is well-formed UTF-8 (what JSON text can hold unchanged).
bool is_utf8(const std::string& s);

}  // namespace basin::io
