/*
 * Stand-in for the ESP platform's xsHost.h (Linux check only): the C library names, the message
 * queue to the XS machine and the clock. fakexs.c implements them; c_malloc/c_calloc/c_free
 * count live blocks and poison what is freed, so the test sees leaks and use after free.
 */
#ifndef __FAKE_XSHOST_H__
#define __FAKE_XSHOST_H__

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xsmc.h"

#define ICACHE_RODATA_ATTR

void *fakeMalloc(size_t size);
void *fakeCalloc(size_t count, size_t size);
void fakeFree(void *block);

#define c_malloc fakeMalloc
#define c_calloc fakeCalloc
#define c_free fakeFree
#define c_memcpy memcpy
#define c_memset memset
#define c_strcmp strcmp
#define c_strlen strlen

typedef void (*modMessageDeliver)(void *the, void *refcon, uint8_t *message, uint16_t messageLength);

// Any thread may post (lwIP callbacks do, from the tcpip thread); delivery is on the XS thread.
int modMessagePostToMachine(xsMachine *the, uint8_t *message, uint16_t messageLength, modMessageDeliver callback, void *refcon);

uint32_t modMilliseconds(void);

#endif
