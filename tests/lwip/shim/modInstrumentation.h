/*
 * Stand-in for the SDK's modInstrumentation.h (Linux check only): the counters the backend
 * adjusts, kept by fakexs.c so the test can check they come back to zero.
 */
#ifndef __FAKE_MODINSTRUMENTATION_H__
#define __FAKE_MODINSTRUMENTATION_H__

#include <stdint.h>

enum {
	kModInstrumentationNetworkBytesRead = 0,
	kModInstrumentationNetworkBytesWritten,
	kModInstrumentationNetworkSockets,
	kModInstrumentationCount
};

void modInstrumentationAdjust_(uint8_t what, int32_t value);
#define modInstrumentationAdjust(what, value) modInstrumentationAdjust_(kModInstrumentation##what, value)

#endif
