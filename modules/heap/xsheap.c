/*
 * xsheap: the XS heap in use, read from the machine's own counters. XS maintains
 * currentHeapCount and currentChunksSize in every build, so a release or device build reports
 * them too, with no Instrumentation module (which reads the same counters, but only where
 * mcconfig -d or -i defines MODINSTRUMENTATION). The stack peak and the modules loaded exist
 * only in instrumented machines (mxInstrument).
 */
#include "xsAll.h"
#include "xs.h"
#include "mc.defines.h"

// A build that measures everything allocated between two readings (bench/heap/alloc.json)
// defines xsheap.collect as 0: then nothing is collected before a reading.
#ifndef MODDEF_XSHEAP_COLLECT
	#define MODDEF_XSHEAP_COLLECT 1
#endif

#if ESP32
	#include "esp_heap_caps.h"
#elif defined(__ets__)
	// user_interface.h declares it, but its ip_addr clashes with lwIP's, which xsHost.h brings
	extern uint32_t system_get_free_heap_size(void);
#endif

void xs_xsheap_collect(xsMachine *the)
{
#if MODDEF_XSHEAP_COLLECT
	xsCollectGarbage();
	xsResult = xsTrue;
#else
	xsResult = xsFalse;
#endif
}

void xs_xsheap_slots(xsMachine *the)
{
	xsResult = xsNumber((xsNumberValue)the->currentHeapCount * sizeof(txSlot));
}

void xs_xsheap_chunks(xsMachine *the)
{
	xsResult = xsNumber((xsNumberValue)the->currentChunksSize);
}

void xs_xsheap_stack(xsMachine *the)
{
#ifdef mxInstrument
	// as the SDK's instrumentation reads it: the frames below the current one count too
	if (the->stackPeak > the->stack)
		the->stackPeak = the->stack;
	xsResult = xsNumber((xsNumberValue)(the->stackTop - the->stackPeak) * sizeof(txSlot));
#else
	(void)the;		// undefined: a release machine does not track it
#endif
}

void xs_xsheap_modules(xsMachine *the)
{
#ifdef mxInstrument
	xsResult = xsInteger(the->loadedModulesCount);
#else
	(void)the;
#endif
}

void xs_xsheap_system(xsMachine *the)
{
#if ESP32
	xsResult = xsNumber((xsNumberValue)heap_caps_get_free_size(MALLOC_CAP_8BIT));
#elif defined(__ets__)
	xsResult = xsNumber((xsNumberValue)system_get_free_heap_size());
#else
	(void)the;		// undefined: the Linux host does not tell
#endif
}
