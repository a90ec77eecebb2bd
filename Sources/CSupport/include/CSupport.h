#ifndef ALCO_CSUPPORT_H
#define ALCO_CSUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// Small pieces of the engine that Swift cannot express: CPU instructions without a Swift
/// spelling.

/// Asks the CPU to start loading the cache line at `address` for a coming write. The segment
/// builder issues these for a whole document's hash-table slots before it probes any of
/// them, so the misses overlap instead of being paid one after another.
static inline void alco_prefetch(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

/// Whether `alco_crc32c_update` runs on the CPU's CRC-32C instruction (SSE 4.2); when not,
/// callers use their portable table-driven version.
int alco_crc32c_available(void);

/// Continues a CRC-32C over `length` bytes: `state` is the running register (the caller
/// applies the initial and final inversion).
uint32_t alco_crc32c_update(uint32_t state, const void *bytes, size_t length);

#endif
