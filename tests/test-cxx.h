/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-cxx's C half (test-cxx-c.c): COM objects and calls written in C. */
#ifndef DCOM_TEST_CXX_H
#define DCOM_TEST_CXX_H

#include <objbase.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Calls the object (an IDispatch) from C through its lpVtbl: 0 if every step answered. */
int cxx_test_call_from_c(IDispatch *d);
/* A class factory written in C (a static object): CreateInstance hands out itself. */
IClassFactory *cxx_test_c_factory(void);
LONG cxx_test_c_factory_refs(void);
#ifdef __cplusplus
}
#endif

#endif
