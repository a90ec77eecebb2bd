// The target's only code is the inline function in include/CPrefetch.h; SwiftPM wants a
// source file to build the module.
#include "CPrefetch.h"
