#ifndef ALCO_CBZIP2_SHIM_H
#define ALCO_CBZIP2_SHIM_H
#include <stdio.h>
#include <bzlib.h>
#endif
