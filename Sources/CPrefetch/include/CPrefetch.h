#ifndef ALCO_CPREFETCH_H
#define ALCO_CPREFETCH_H

/// Asks the CPU to start loading the cache line at `address` for a coming write. The segment
/// builder issues these for a whole document's hash-table slots before it probes any of
/// them, so the misses overlap instead of being paid one after another.
static inline void alco_prefetch(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
