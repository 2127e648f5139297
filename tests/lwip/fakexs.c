/*
 * The fake XS machine behind shim/xsmc.h, shim/xsHost.h, shim/modTimer.h and
 * shim/modInstrumentation.h: just enough of XS for ftpsock_lwip.c, with checks that XS, timers
 * and instrumentation are used on the XS thread only and never from inside lwIP's core.
 *
 * With lwIP's tcpip thread (Debian's liblwip), messages are posted from that thread and the
 * loop waits for them on a condition. Under NO_SYS (the emulated ESP8266, tests/emu) there is
 * one thread, as on the chip: the loop runs lwIP itself while it waits (fakeSetNetworkPoll),
 * inside lwIP context, so XS used from an lwIP callback still fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lwip/opt.h"

#include "fake.h"
#include "shim/xsHost.h"
#include "shim/modTimer.h"
#include "shim/modInstrumentation.h"

#if NO_SYS
	#define onXSThread() (1)
	#define queueLock()
	#define queueUnlock()
	#define countBlocks(delta) (gLiveBlocks += (delta))
	#define readBlocks() (gLiveBlocks)
#else
	#include <pthread.h>

	static pthread_t gThread;
	#define onXSThread() pthread_equal(pthread_self(), gThread)
	#define queueLock() pthread_mutex_lock(&gQueueMutex)
	#define queueUnlock() pthread_mutex_unlock(&gQueueMutex)
	#define countBlocks(delta) __atomic_add_fetch(&gLiveBlocks, (delta), __ATOMIC_SEQ_CST)
	#define readBlocks() __atomic_load_n(&gLiveBlocks, __ATOMIC_SEQ_CST)
#endif

static int gInLwip = 0;
static xsMachine gMachine;
static long gLiveBlocks = 0;
static int gRemembered = 0;
static int32_t gInstrumentation[kModInstrumentationCount];

void fakeInit(void)
{
#if !NO_SYS
	gThread = pthread_self();
#endif
}

xsMachine *fakeMachine(void)
{
	return &gMachine;
}

void fakeEnterLwip(void)
{
	if (onXSThread())
		gInLwip++;
}

void fakeLeaveLwip(void)
{
	if (onXSThread())
		gInLwip--;
}

void fakeCheckThread(const char *what)
{
	if (!onXSThread()) {
		fprintf(stderr, "FAIL %s called off the XS thread\n", what);
		abort();
	}
	if (gInLwip) {
		fprintf(stderr, "FAIL %s called inside lwIP context\n", what);
		abort();
	}
}

void fakeAbort(xsMachine *the, const char *why)
{
	fprintf(stderr, "FAIL machine aborted: %s (%s)\n", why, the->exception.text);
	abort();
}

/*
	Memory: a header before each block counts it and lets c_free poison it.
*/

typedef struct {
	size_t size;
	uint32_t magic;
	uint32_t pad;
} BlockHeader;

#define kBlockMagic (0x46544253)

void *fakeMalloc(size_t size)
{
	BlockHeader *header = malloc(sizeof(BlockHeader) + size);

	if (!header)
		return NULL;
	header->size = size;
	header->magic = kBlockMagic;
	countBlocks(1);
	return header + 1;
}

void *fakeCalloc(size_t count, size_t size)
{
	void *block = fakeMalloc(count * size);

	if (block)
		memset(block, 0, count * size);
	return block;
}

// Poisoned, so that a record or buffer used after c_free holds wrong values at once (and the
// AddressSanitizer build of check:lwip reports the use).
void fakeFree(void *block)
{
	BlockHeader *header;

	if (!block)
		return;
	header = (BlockHeader *)block - 1;
	if (kBlockMagic != header->magic) {
		fprintf(stderr, "FAIL c_free of a block c_malloc did not return (or freed twice)\n");
		abort();
	}
	header->magic = 0;
	memset(block, 0xA5, header->size);
	countBlocks(-1);
	free(header);
}

long fakeLiveBlocks(void)
{
	return readBlocks();
}

/*
	Values and objects
*/

static xsSlot *newObject(void)
{
	xsSlot *object = calloc(1, sizeof(xsSlot));

	if (!object)
		abort();
	object->kind = xsReferenceType;
	object->object = object;
	return object;
}

xsSlot *fakeNewFunction(FakeFunction function, void *closure)
{
	xsSlot *object = newObject();

	object->function = function;
	object->closure = closure;
	return object;
}

xsSlot *fakeNewHostObject(xsDestructor destructor)
{
	xsSlot *object = newObject();

	object->destructor = destructor;
	return object;
}

xsSlot *fakeNewArrayBuffer(const void *bytes, uint32_t length)
{
	xsSlot *object = newObject();

	object->bytes = malloc(length ? length : 1);
	if (!object->bytes)
		abort();
	memcpy(object->bytes, bytes, length);
	object->length = length;
	return object;
}

int fakeIsCallable(xsSlot *slot)
{
	fakeCheckThread("xsmcIsCallable");
	return (xsReferenceType == slot->kind) && slot->object && slot->object->function;
}

int fakeToInteger(xsMachine *the, xsSlot *slot)
{
	(void)the;
	fakeCheckThread("xsmcToInteger");
	if ((xsNumberType == slot->kind) || (xsIntegerType == slot->kind))
		return isfinite(slot->number) ? (int)slot->number : 0;
	if (xsStringType == slot->kind)
		return atoi(slot->text);
	return 0;
}

double fakeToNumber(xsMachine *the, xsSlot *slot)
{
	(void)the;
	fakeCheckThread("xsmcToNumber");
	if ((xsNumberType == slot->kind) || (xsIntegerType == slot->kind))
		return slot->number;
	if (xsStringType == slot->kind)
		return strtod(slot->text, NULL);
	return (xsUndefinedType == slot->kind) ? NAN : 0;
}

char *fakeToString(xsMachine *the, xsSlot *slot)
{
	(void)the;
	fakeCheckThread("xsmcToString");
	if (xsStringType == slot->kind)
		return slot->text;
	if ((xsNumberType == slot->kind) || (xsIntegerType == slot->kind))
		snprintf(slot->text, sizeof(slot->text), "%g", slot->number);
	else
		snprintf(slot->text, sizeof(slot->text), "%s", (xsUndefinedType == slot->kind) ? "undefined" : "[object]");
	return slot->text;
}

void fakeSetString(xsSlot *slot, const char *text)
{
	fakeCheckThread("xsmcSetString");
	if (strlen(text) >= sizeof(slot->text)) {
		fprintf(stderr, "FAIL string too long for the fake: %s\n", text);
		abort();
	}
	memset(slot, 0, sizeof(*slot));
	slot->kind = xsStringType;
	strcpy(slot->text, text);
}

void fakeSetNumber(xsSlot *slot, double value)
{
	fakeCheckThread("xsmcSetNumber");
	memset(slot, 0, sizeof(*slot));
	slot->kind = xsNumberType;
	slot->number = value;
}

void fakeSetBoolean(xsSlot *slot, int value)
{
	fakeCheckThread("xsmcSetBoolean");
	memset(slot, 0, sizeof(*slot));
	slot->kind = xsBooleanType;
	slot->number = value ? 1 : 0;
}

static xsSlot *hostObject(xsMachine *the, xsSlot *slot)
{
	if ((xsReferenceType != slot->kind) || !slot->object)
		fakeThrowError(the, "SyntaxError", "C: xsGetHostData: not a host object");
	return slot->object;
}

void fakeSetHostData(xsMachine *the, xsSlot *slot, void *data)
{
	fakeCheckThread("xsmcSetHostData");
	hostObject(the, slot)->hostData = data;
}

void fakeSetHostHooks(xsMachine *the, xsSlot *slot, const xsHostHooks *hooks)
{
	fakeCheckThread("xsSetHostHooks");
	hostObject(the, slot)->hooks = hooks;
}

// As XS: the validator is compared with the hooks (or, before any, the destructor).
void *fakeGetHostDataValidate(xsMachine *the, xsSlot *slot, void *validator)
{
	xsSlot *object;

	fakeCheckThread("xsmcGetHostDataValidate");
	object = hostObject(the, slot);
	if (object->hooks ? ((void *)object->hooks != validator) : ((void *)object->destructor != validator))
		fakeThrowError(the, "SyntaxError", "C: xsGetHostData: invalid host data");
	return object->hostData;
}

void fakeGetBuffer(xsMachine *the, xsSlot *slot, void **data, xsUnsignedValue *length)
{
	fakeCheckThread("xsmcGetBufferReadable");
	if ((xsReferenceType != slot->kind) || !slot->object || !slot->object->bytes)
		fakeThrowError(the, "TypeError", "not a buffer");
	*data = slot->object->bytes;
	*length = slot->object->length;
}

void fakeRemember(xsMachine *the, xsSlot *slot)
{
	(void)the;
	fakeCheckThread("xsRemember");
	slot->object->remembered++;
	gRemembered++;
}

void fakeForget(xsMachine *the, xsSlot *slot)
{
	(void)the;
	fakeCheckThread("xsForget");
	if (slot->object->remembered <= 0) {
		fprintf(stderr, "FAIL xsForget of what was not remembered\n");
		abort();
	}
	slot->object->remembered--;
	gRemembered--;
}

int fakeRemembered(void)
{
	return gRemembered;
}

xsSlot fakeReference(xsSlot *object)
{
	xsSlot slot;

	memset(&slot, 0, sizeof(slot));
	slot.kind = xsReferenceType;
	slot.object = object;
	return slot;
}

xsSlot fakeString(const char *text)
{
	xsSlot slot;

	fakeSetString(&slot, text);
	return slot;
}

xsSlot fakeNumber(double value)
{
	xsSlot slot;

	fakeSetNumber(&slot, value);
	return slot;
}

xsSlot fakeUndefined(void)
{
	xsSlot slot;

	memset(&slot, 0, sizeof(slot));
	return slot;
}

void fakeCall(xsMachine *the, xsSlot function, xsSlot thisSlot, int argc, ...)
{
	xsSlot argv[4];
	va_list list;
	int i;

	fakeCheckThread("xsCallFunction");
	if ((xsReferenceType != function.kind) || !function.object || !function.object->function)
		fakeThrowError(the, "TypeError", "not a function");
	if (function.object->collected || (thisSlot.object && thisSlot.object->collected)) {
		fprintf(stderr, "FAIL call with a collected object\n");
		abort();
	}
	va_start(list, argc);
	for (i = 0; i < argc; i++)
		argv[i] = va_arg(list, xsSlot);
	va_end(list);
	(*function.object->function)(the, function.object, &thisSlot, argc, argv);
}

void fakeThrow(xsMachine *the, xsSlot exception)
{
	the->exception = exception;
	if (!the->jump)
		fakeAbort(the, "exception with no handler");
	longjmp(the->jump->buffer, 1);
}

xsSlot fakeNewError(xsSlot message)
{
	xsSlot slot;

	fakeCheckThread("xsNew1");
	memset(&slot, 0, sizeof(slot));
	slot.kind = xsStringType;
	// a volume code is short: "%.48s" keeps the compiler sure that it fits
	snprintf(slot.text, sizeof(slot.text), "Error: %.48s", message.text);
	return slot;
}

void fakeThrowError(xsMachine *the, const char *kind, const char *format, ...)
{
	xsSlot slot;
	va_list arguments;
	int length;

	memset(&slot, 0, sizeof(slot));
	slot.kind = xsStringType;
	length = snprintf(slot.text, sizeof(slot.text), "%s: ", kind);
	if ((length > 0) && ((size_t)length < sizeof(slot.text))) {
		va_start(arguments, format);
		vsnprintf(slot.text + length, sizeof(slot.text) - (size_t)length, format, arguments);
		va_end(arguments);
	}
	fakeThrow(the, slot);
}

const char *fakeInvoke(void (*function)(xsMachine *the), xsSlot thisSlot, int argc, xsSlot *argv, xsSlot *result)
{
	static char message[sizeof(((xsSlot *)0)->text)];
	xsMachine *the = &gMachine;
	xsSlot savedThis = the->thisSlot, savedResult = the->result, savedArgs[8];
	FakeJump jump;
	const char *error = NULL;
	int i;

	fakeCheckThread("host function");
	memcpy(savedArgs, the->args, sizeof(savedArgs));
	the->thisSlot = thisSlot;
	the->result = fakeUndefined();
	for (i = 0; i < 8; i++)
		the->args[i] = (i < argc) ? argv[i] : fakeUndefined();
	jump.next = the->jump;
	the->jump = &jump;
	if (0 == setjmp(jump.buffer)) {
		(*function)(the);
		the->jump = jump.next;
	}
	else {
		the->jump = jump.next;
		memcpy(message, the->exception.text, sizeof(message));
		message[sizeof(message) - 1] = 0;
		error = message;
	}
	if (result)
		*result = the->result;
	the->thisSlot = savedThis;
	the->result = savedResult;
	memcpy(the->args, savedArgs, sizeof(savedArgs));
	return error;
}

int fakeCollect(xsSlot *object)
{
	xsDestructor destructor;

	fakeCheckThread("collect");
	if (object->remembered || object->collected)
		return 0;
	destructor = object->hooks ? object->hooks->destructor : object->destructor;
	object->collected = 1;
	if (destructor)
		(*destructor)(object->hostData);
	object->hostData = NULL;
	return 1;
}

/*
	Instrumentation
*/

void modInstrumentationAdjust_(uint8_t what, int32_t value)
{
	fakeCheckThread("modInstrumentationAdjust");
	gInstrumentation[what] += value;
}

int32_t fakeInstrumentation(uint8_t what)
{
	return gInstrumentation[what];
}

/*
	Messages
*/

typedef struct FakeMessageRecord {
	struct FakeMessageRecord *next;
	xsMachine *the;
	modMessageDeliver callback;
	void *refcon;
} FakeMessageRecord;

#if !NO_SYS
static pthread_mutex_t gQueueMutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gQueueCondition = PTHREAD_COND_INITIALIZER;
#endif
static FakeMessageRecord *gQueue = NULL;
static int gQueued = 0;
static int gFailPosts = 0;
static int gFailedPosts = 0;

int modMessagePostToMachine(xsMachine *the, uint8_t *message, uint16_t messageLength, modMessageDeliver callback, void *refcon)
{
	FakeMessageRecord *record, **walker;

	if (message || messageLength) {
		fprintf(stderr, "FAIL the fake queue carries no message bytes\n");
		abort();
	}
	queueLock();
	if (gFailPosts > 0) {
		gFailPosts--;
		gFailedPosts++;
		queueUnlock();
		return -1;
	}
	record = calloc(1, sizeof(FakeMessageRecord));
	if (!record)
		abort();
	record->the = the;
	record->callback = callback;
	record->refcon = refcon;
	for (walker = &gQueue; *walker; walker = &(*walker)->next)
		;
	*walker = record;
	gQueued++;
#if !NO_SYS
	pthread_cond_signal(&gQueueCondition);
#endif
	queueUnlock();
	return 0;
}

int fakeFailPosts(int count)
{
	int failed;

	queueLock();
	gFailPosts = count;
	failed = gFailedPosts;
	gFailedPosts = 0;
	queueUnlock();
	return failed;
}

int fakeQueuedMessages(void)
{
	int queued;

	queueLock();
	queued = gQueued;
	queueUnlock();
	return queued;
}

/*
	Timers, on the XS thread
*/

struct modTimerRecord {
	struct modTimerRecord *next;
	uint32_t trigger;
	int repeat;
	uint8_t removed;
	uint8_t firing;
	modTimerCallback callback;
	int refconSize;
	_Alignas(max_align_t) char refcon[];
};

static modTimer gTimers = NULL;

uint32_t modMilliseconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint32_t)((now.tv_sec * 1000) + (now.tv_nsec / 1000000));
}

modTimer modTimerAdd(int firstInterval, int secondInterval, modTimerCallback callback, void *refcon, int refconSize)
{
	modTimer timer, *walker;

	fakeCheckThread("modTimerAdd");
	timer = calloc(1, sizeof(struct modTimerRecord) + (size_t)refconSize);
	if (!timer)
		return NULL;
	timer->trigger = modMilliseconds() + (uint32_t)firstInterval;
	timer->repeat = secondInterval;
	timer->callback = callback;
	timer->refconSize = refconSize;
	memcpy(timer->refcon, refcon, (size_t)refconSize);
	for (walker = &gTimers; *walker; walker = &(*walker)->next)
		;
	*walker = timer;
	return timer;
}

void modTimerReschedule(modTimer timer, int firstInterval, int secondInterval)
{
	fakeCheckThread("modTimerReschedule");
	timer->trigger = modMilliseconds() + (uint32_t)firstInterval;
	timer->repeat = secondInterval;
}

void *modTimerGetRefcon(modTimer timer)
{
	return timer->refcon;
}

static void timerUnlink(modTimer timer)
{
	modTimer *walker;

	for (walker = &gTimers; *walker; walker = &(*walker)->next) {
		if (*walker == timer) {
			*walker = timer->next;
			free(timer);
			return;
		}
	}
}

void modTimerRemove(modTimer timer)
{
	fakeCheckThread("modTimerRemove");
	if (timer->firing)
		timer->removed = 1;		// freed once its callback returns
	else
		timerUnlink(timer);
}

int fakeTimers(void)
{
	modTimer timer;
	int count = 0;

	for (timer = gTimers; timer; timer = timer->next)
		count++;
	return count;
}

static void timersFire(void)
{
	modTimer timer;
	uint32_t now;

	for (;;) {
		now = modMilliseconds();
		for (timer = gTimers; timer; timer = timer->next) {
			if ((int32_t)(timer->trigger - now) <= 0)
				break;
		}
		if (!timer)
			return;
		timer->trigger += (uint32_t)timer->repeat;
		timer->firing = 1;
		(*timer->callback)(timer, timer->refcon, timer->refconSize);
		timer->firing = 0;
		if (timer->removed || !timer->repeat)
			timerUnlink(timer);
	}
}

#if !NO_SYS
static int timersNext(void)
{
	modTimer timer;
	uint32_t now = modMilliseconds();
	int next = 1000;

	for (timer = gTimers; timer; timer = timer->next) {
		int32_t delta = (int32_t)(timer->trigger - now);

		if (delta < next)
			next = (delta > 0) ? delta : 0;
	}
	return next;
}
#endif

/*
	The loop
*/

static void (*gNetworkPoll)(void) = NULL;

void fakeSetNetworkPoll(void (*poll)(void))
{
	gNetworkPoll = poll;
}

void fakeService(int milliseconds)
{
	uint32_t deadline = modMilliseconds() + (uint32_t)milliseconds;
	FakeMessageRecord *record;

	fakeCheckThread("service");
	for (;;) {
#if NO_SYS
		// lwIP's turn, as the ESP8266's main loop gives it: callbacks post messages
		if (gNetworkPoll) {
			fakeEnterLwip();
			(*gNetworkPoll)();
			fakeLeaveLwip();
		}
#endif
		queueLock();
		record = gQueue;
		if (record) {
			gQueue = record->next;
			gQueued--;
		}
		queueUnlock();
		if (record) {
			(*record->callback)(record->the, record->refcon, NULL, 0);
			free(record);
			continue;
		}
		timersFire();
		int32_t left = (int32_t)(deadline - modMilliseconds());
		if (left <= 0)
			return;
#if !NO_SYS
		int wait = timersNext();
		if (wait > left)
			wait = left;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)wait * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		queueLock();
		if (!gQueue)
			pthread_cond_timedwait(&gQueueCondition, &gQueueMutex, &until);
		queueUnlock();
#endif
	}
}

int fakeServiceUntil(FakePredicate predicate, void *context, int milliseconds)
{
	uint32_t deadline = modMilliseconds() + (uint32_t)milliseconds;

	while (!(*predicate)(context)) {
		if ((int32_t)(deadline - modMilliseconds()) <= 0)
			return 0;
		fakeService(5);
	}
	return 1;
}
