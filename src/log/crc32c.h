// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78) as iSCSI uses it
// (RFC 3720 §12.1 and appendix B.4): register initialised to all ones, result
// complemented. Checksums every record batch and every metadata file on disk.
//
// Uses the SSE4.2 crc32 instruction when the CPU has it (checked once at run time),
// otherwise a slicing-by-8 table. Both give identical results; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

namespace dlog::log {

// CRC-32C of `data`.
uint32_t Crc32c(ByteSpan data);

// Continues a checksum: Crc32cExtend(Crc32c(a), b) == Crc32c(a ‖ b).
uint32_t Crc32cExtend(uint32_t crc, ByteSpan data);

// The two implementations, exposed so tests can compare them on every machine.
uint32_t Crc32cExtendPortable(uint32_t crc, ByteSpan data);
uint32_t Crc32cExtendHardware(uint32_t crc, ByteSpan data);  // requires HasHardwareCrc32c()
bool HasHardwareCrc32c();

}  // namespace dlog::log
