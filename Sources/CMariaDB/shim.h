#ifndef ALCO_CMARIADB_SHIM_H
#define ALCO_CMARIADB_SHIM_H
#include <mysql.h>
#endif
