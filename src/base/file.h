// Files that must never be seen half-written: key files, identities, cluster state.
#pragma once

#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace dlog {

// Writes `data` to `path` atomically with exactly `mode` (never wider, whatever the
// umask): a temporary file beside it, write, fsync, rename over `path`, fsync of the
// directory. On any error the temporary file is removed and `path` is untouched; the
// message names the file and the system's reason.
Status WriteFileAtomic(const std::string& path, ByteSpan data, unsigned mode);

// fsync of the directory holding `path`, so a rename or a new file in it is durable.
// Best effort: a failure to open the directory is ignored (the data itself is synced).
void FsyncDir(const std::string& path);

}  // namespace dlog
