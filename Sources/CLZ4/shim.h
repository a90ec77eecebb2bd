#ifndef ALCO_CLZ4_SHIM_H
#define ALCO_CLZ4_SHIM_H
#include <lz4.h>
#include <lz4hc.h>
#endif
