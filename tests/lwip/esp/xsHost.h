/*
 * For the compile of scripts/check-lwip.js against the SDK's own XS headers (xs/includes/xsmc.h,
 * xs.h, modTimer.h, modInstrumentation.h): what the backend uses from xs/platforms/esp/xsHost.h,
 * declared as that file declares it, since the ESP one cannot be compiled without the vendor SDKs
 * (it includes FreeRTOS or Arduino) and the SDK's generic xsHost.h has no message queue.
 */
#ifndef __CHECK_ESP_XSHOST_H__
#define __CHECK_ESP_XSHOST_H__

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xsmc.h"

#define ICACHE_RODATA_ATTR

#define c_calloc calloc
#define c_free free
#define c_malloc malloc
#define c_memcpy memcpy
#define c_memset memset
#define c_strcmp strcmp
#define c_strlen strlen

typedef void (*modMessageDeliver)(void *the, void *refcon, uint8_t *message, uint16_t messageLength);
int modMessagePostToMachine(xsMachine *the, uint8_t *message, uint16_t messageLength, modMessageDeliver callback, void *refcon);

// a macro there (FreeRTOS's tick count on ESP32, Arduino's millis() on ESP8266)
uint32_t modMilliseconds(void);

#endif
