#ifndef ALCO_CZSTD_SHIM_H
#define ALCO_CZSTD_SHIM_H
#include <zstd.h>
#endif
