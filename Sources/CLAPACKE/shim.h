#ifndef LEADSCORE_CLAPACKE_SHIM_H
#define LEADSCORE_CLAPACKE_SHIM_H
#include <cblas.h>
#include <lapacke.h>
#endif
