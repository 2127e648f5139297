/*
 * lwIP's platform header for the emulated ESP8266 (tests/emu): a failed lwIP assertion ends the
 * run as a failure.
 */
#ifndef __FTPSOCK_EMU_ARCH_CC_H__
#define __FTPSOCK_EMU_ARCH_CC_H__

#include <stdio.h>
#include <stdlib.h>

#include "emu.h"

#define LWIP_PLATFORM_DIAG(x) do { printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) do { printf("not ok - lwIP assertion \"%s\" failed at %s:%d\n", x, __FILE__, __LINE__); fflush(stdout); emuExit(4); } while (0)
#define LWIP_RAND() ((u32_t)rand())

#endif
