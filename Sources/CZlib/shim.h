#ifndef ALCO_CZLIB_SHIM_H
#define ALCO_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 is a macro; Swift needs a function. windowBits 15 + 32 accepts gzip and zlib. */
static inline int alco_inflate_init_auto(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}
#endif
