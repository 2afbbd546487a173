// PosixEnv: the Env of the real file system (open/pwrite/pread/fdatasync/rename/
// ftruncate). Files are created 0600, directories 0700; every descriptor is O_CLOEXEC.
#pragma once

#include "log/env.h"

namespace dlog::log {

// A process-wide instance; thread-safe and never destroyed.
Env* PosixEnvironment();

}  // namespace dlog::log
