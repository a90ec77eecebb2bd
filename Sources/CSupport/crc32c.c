#include "CSupport.h"

#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>

__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t state, const unsigned char *p, size_t n) {
    uint64_t c = state;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n > 0) {
        c32 = _mm_crc32_u8(c32, *p++);
        n--;
    }
    return c32;
}

int alco_crc32c_available(void) {
    return __builtin_cpu_supports("sse4.2");
}

uint32_t alco_crc32c_update(uint32_t state, const void *bytes, size_t length) {
    return crc32c_sse42(state, (const unsigned char *)bytes, length);
}
#else
int alco_crc32c_available(void) {
    return 0;
}

uint32_t alco_crc32c_update(uint32_t state, const void *bytes, size_t length) {
    (void)bytes;
    (void)length;
    return state;
}
#endif
