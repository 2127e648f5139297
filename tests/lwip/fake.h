/*
 * The test's side of the fake XS machine (fakexs.c) and the in-memory volume (fakevolume.c):
 * making JS values, calling host functions as ftpsock.js does, running the message loop, and
 * the counters the test checks at the end.
 */
#ifndef __FAKE_H__
#define __FAKE_H__

#include <stdint.h>

#include "shim/xsmc.h"

// The calling thread becomes the XS machine's thread.
void fakeInit(void);
xsMachine *fakeMachine(void);

// Set while the XS thread is inside tcpip_api_call(), i.e. holds lwIP's core: XS, volume and
// timer calls then fail the test (they belong outside lwIP context).
void fakeEnterLwip(void);
void fakeLeaveLwip(void);

xsSlot *fakeNewFunction(FakeFunction function, void *closure);
// A host object as `class extends Native(destructor)` makes it.
xsSlot *fakeNewHostObject(xsDestructor destructor);
xsSlot *fakeNewArrayBuffer(const void *bytes, uint32_t length);

// Calls a host function with `this` and arguments; NULL, or the message of what it threw.
// The result is copied to *result when result is not NULL.
const char *fakeInvoke(void (*function)(xsMachine *the), xsSlot thisSlot, int argc, xsSlot *argv, xsSlot *result);

// Runs the destructor of an object nothing remembers, as the collector would. Returns 1 if it did.
int fakeCollect(xsSlot *object);

// Delivers messages and fires timers for `milliseconds`.
void fakeService(int milliseconds);
// Under NO_SYS: what fakeService calls, in lwIP context, to let lwIP move packets and run its
// timers (there is no tcpip thread to do it).
void fakeSetNetworkPoll(void (*poll)(void));
typedef int (*FakePredicate)(void *context);
// Services until `predicate` holds; 0 after `milliseconds` without.
int fakeServiceUntil(FakePredicate predicate, void *context, int milliseconds);

long fakeLiveBlocks(void);			// c_malloc'd and not yet c_free'd
int fakeRemembered(void);
int fakeTimers(void);
int fakeQueuedMessages(void);
int32_t fakeInstrumentation(uint8_t what);
// The next `count` posts fail, as when ESP8266 has no memory; returns how many failed since
// the previous call.
int fakeFailPosts(int count);

// Volume
void fakeVolumePut(const char *path, const void *bytes, uint32_t length);
const uint8_t *fakeVolumeGet(const char *path, uint32_t *length);
void fakeVolumeSetWriteDelay(int microseconds);		// a slow flash: every volumeWrite() sleeps
void fakeVolumeSetCapacity(uint32_t bytes);			// ENOSPC past it; 0 = none
// Called before each read or write, on the XS thread, with the file position it starts at.
typedef void (*FakeVolumeHook)(int writing, uint32_t length, uint32_t position);
void fakeVolumeSetHook(FakeVolumeHook hook);
int fakeVolumeOpenFiles(void);
// The time of every entry a directory lists: 2023-11-14T22:13:20Z.
#define kFakeVolumeTime (1700000000)

#endif
