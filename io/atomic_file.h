#pragma once
// Durable replacement of a file: write a temporary file in the same folder,
// fsync it, rename it over the target, fsync the folder. A crash at any point
// leaves either the old complete file or the new complete file, never a mix.
#include <cstddef>
#include <functional>
#include <string>

namespace basin::io {

// `write` appends the content through the given sink (which may be called many
// times). Errors name `path`.
using ByteSink = std::function<void(const void* data, std::size_t n)>;
// Fsync: the new content survives a power cut once this returns (checkpoints,
// weights). RenameOnly: still never a half-written file under the real name, but
// no fsync (bulk exports of thousands of small files, where fsync dominates).
enum class Durability { Fsync, RenameOnly };
void write_file_atomic(const std::string& path, const std::function<void(const ByteSink&)>& write,
                       Durability durability = Durability::Fsync);
void write_file_atomic(const std::string& path, const void* data, std::size_t n,
                       Durability durability = Durability::Fsync);
void write_file_atomic(const std::string& path, const std::string& content,
                       Durability durability = Durability::Fsync);

// Appends one line and fsyncs (metrics.jsonl: each epoch's line survives a crash).
void append_line_durable(const std::string& path, const std::string& line);

}  // namespace basin::io
