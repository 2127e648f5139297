/*
 * The little of the SDK's xsPlatform.h that LittleFS's lfs.h and our volume files use, for
 * building them outside the SDK (tests/lfsprog.test.js): the c_ names of the C library.
 */
#ifndef __XSPLATFORM__
#define __XSPLATFORM__

#include <stdlib.h>
#include <string.h>
#include "mc.defines.h"

#define c_calloc calloc
#define c_free free
#define c_malloc malloc
#define c_memcmp memcmp
#define c_memcpy memcpy
#define c_memset memset
#define c_strchr strchr
#define c_strcmp strcmp
#define c_strcpy strcpy
#define c_strcspn strcspn
#define c_strlen strlen
#define c_strspn strspn

#endif
