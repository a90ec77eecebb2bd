#ifndef ALCO_CHIREDIS_SHIM_H
#define ALCO_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif
