/*
 * Stand-in for the XS API that modules/ftpsock/ftpsock_lwip.c uses, for the Linux check only
 * (scripts/check-lwip.js puts this folder first on the include path; device builds find the
 * SDK's xsmc.h). Only what the backend calls, with XS's shapes: slots by value, host objects
 * with hooks, exceptions by longjmp. fakexs.c implements it; every call checks it runs on the
 * thread that plays the XS machine.
 */
#ifndef __FAKE_XSMC_H__
#define __FAKE_XSMC_H__

#include <setjmp.h>
#include <stdint.h>

typedef struct xsMachineRecord xsMachine;
typedef struct xsSlotRecord xsSlot;
typedef double xsNumberValue;
typedef uint32_t xsUnsignedValue;

enum {
	xsUndefinedType = 0,
	xsNullType,
	xsBooleanType,
	xsIntegerType,
	xsNumberType,
	xsStringType,
	xsReferenceType
};

typedef void (*xsDestructor)(void *data);
typedef void (*xsMarkRoot)(xsMachine *the, xsSlot *slot);
typedef void (*xsMarker)(xsMachine *the, void *data, xsMarkRoot markRoot);
typedef void (*xsSweeper)(xsMachine *the, void *data, xsMarkRoot markRoot);

typedef struct {
	xsDestructor destructor;
	xsMarker marker;
	xsSweeper sweeper;
} xsHostHooks;

// A JS function of the test: called with `this` and the arguments.
typedef void (*FakeFunction)(xsMachine *the, xsSlot *function, xsSlot *thisSlot, int argc, xsSlot *argv);

// A slot is a value; an object is a slot allocated by fakexs.c and referred to by reference slots.
struct xsSlotRecord {
	int kind;
	double number;
	char text[64];
	xsSlot *object;				// of a reference
	// an object's
	FakeFunction function;
	void *closure;
	void *hostData;
	const xsHostHooks *hooks;
	xsDestructor destructor;	// before hooks are set: the Native(...) destructor
	void *bytes;
	uint32_t length;
	int remembered;
	int collected;
};

typedef struct FakeJumpRecord {
	jmp_buf buffer;
	struct FakeJumpRecord *next;
	int once;
} FakeJump;

struct xsMachineRecord {
	xsSlot thisSlot;
	xsSlot result;
	xsSlot args[8];
	xsSlot exception;
	FakeJump *jump;
};

void fakeCheckThread(const char *what);
int fakeIsCallable(xsSlot *slot);
int fakeToInteger(xsMachine *the, xsSlot *slot);
double fakeToNumber(xsMachine *the, xsSlot *slot);
char *fakeToString(xsMachine *the, xsSlot *slot);
void fakeSetString(xsSlot *slot, const char *text);
void fakeSetNumber(xsSlot *slot, double value);
void fakeSetBoolean(xsSlot *slot, int value);
void fakeSetHostData(xsMachine *the, xsSlot *slot, void *data);
void fakeSetHostHooks(xsMachine *the, xsSlot *slot, const xsHostHooks *hooks);
void *fakeGetHostDataValidate(xsMachine *the, xsSlot *slot, void *validator);
void fakeGetBuffer(xsMachine *the, xsSlot *slot, void **data, xsUnsignedValue *length);
void fakeRemember(xsMachine *the, xsSlot *slot);
void fakeForget(xsMachine *the, xsSlot *slot);
xsSlot fakeReference(xsSlot *object);
xsSlot fakeString(const char *text);
xsSlot fakeNumber(double value);
xsSlot fakeUndefined(void);
void fakeCall(xsMachine *the, xsSlot function, xsSlot thisSlot, int argc, ...);
void fakeThrow(xsMachine *the, xsSlot exception) __attribute__((noreturn));
xsSlot fakeNewError(xsSlot message);
void fakeThrowError(xsMachine *the, const char *kind, const char *format, ...) __attribute__((noreturn, format(printf, 3, 4)));
void fakeAbort(xsMachine *the, const char *why) __attribute__((noreturn));

#define xsThis (the->thisSlot)
#define xsArg(_INDEX) (the->args[_INDEX])
#define xsResult (the->result)
#define xsException (the->exception)

#define xsmcTypeOf(_SLOT) (fakeCheckThread("xsmcTypeOf"), (_SLOT).kind)
#define xsmcIsCallable(_SLOT) fakeIsCallable(&(_SLOT))
#define xsmcToInteger(_SLOT) fakeToInteger(the, &(_SLOT))
#define xsmcToNumber(_SLOT) fakeToNumber(the, &(_SLOT))
#define xsmcToString(_SLOT) fakeToString(the, &(_SLOT))
#define xsmcToReference(_SLOT) ((_SLOT).object)
#define xsmcSetString(_SLOT, _VALUE) fakeSetString(&(_SLOT), _VALUE)
#define xsmcSetInteger(_SLOT, _VALUE) fakeSetNumber(&(_SLOT), (double)(_VALUE))
#define xsmcSetNumber(_SLOT, _VALUE) fakeSetNumber(&(_SLOT), (double)(_VALUE))
#define xsmcSetTrue(_SLOT) fakeSetBoolean(&(_SLOT), 1)
#define xsmcSetFalse(_SLOT) fakeSetBoolean(&(_SLOT), 0)
#define xsmcSetHostData(_SLOT, _DATA) fakeSetHostData(the, &(_SLOT), _DATA)
#define xsmcGetHostDataValidate(_SLOT, _VALIDATOR) fakeGetHostDataValidate(the, &(_SLOT), _VALIDATOR)
#define xsmcGetBufferReadable(_SLOT, _DATA, _COUNT) fakeGetBuffer(the, &(_SLOT), _DATA, _COUNT)
#define xsmcGetBufferWritable(_SLOT, _DATA, _COUNT) fakeGetBuffer(the, &(_SLOT), _DATA, _COUNT)
#define xsSetHostHooks(_SLOT, _HOOKS) fakeSetHostHooks(the, &(_SLOT), _HOOKS)
#define xsRemember(_SLOT) fakeRemember(the, &(_SLOT))
#define xsForget(_SLOT) fakeForget(the, &(_SLOT))

#define xsReference(_OBJECT) fakeReference(_OBJECT)
#define xsString(_TEXT) fakeString(_TEXT)
#define xsNumber(_VALUE) fakeNumber(_VALUE)
#define xsUndefined fakeUndefined()

#define xsCallFunction0(_FUNCTION, _THIS) fakeCall(the, _FUNCTION, _THIS, 0)
#define xsCallFunction1(_FUNCTION, _THIS, _A) fakeCall(the, _FUNCTION, _THIS, 1, _A)
#define xsCallFunction2(_FUNCTION, _THIS, _A, _B) fakeCall(the, _FUNCTION, _THIS, 2, _A, _B)

// A format and its arguments, as XS's (ftpsock_listing_xs.c throws a volume code with "%s")
#define xsUnknownError(...) fakeThrowError(the, "Error", __VA_ARGS__)
#define xsTypeError(...) fakeThrowError(the, "TypeError", __VA_ARGS__)
#define xsRangeError(...) fakeThrowError(the, "RangeError", __VA_ARGS__)
#define xsThrow(_SLOT) fakeThrow(the, _SLOT)
// new Error(message), as ftpsock_binding.c makes one for a volume code: its exception reads "Error: <message>"
#define xsGlobal fakeUndefined()
#define xsID(_NAME) 0
#define xsNew1(_GLOBAL, _ID, _MESSAGE) fakeNewError(_MESSAGE)

#define xsTry \
	FakeJump __JUMP__; \
	__JUMP__.next = the->jump; \
	the->jump = &__JUMP__; \
	if (0 == setjmp(__JUMP__.buffer)) {

#define xsCatch \
		the->jump = __JUMP__.next; \
	} \
	else for (the->jump = __JUMP__.next, __JUMP__.once = 1; __JUMP__.once; __JUMP__.once = 0)

// As XS: an exception that leaves the host block aborts the machine.
#define xsBeginHost(_THE) \
	do { \
		xsMachine *__HOST_THE__ = (_THE); \
		FakeJump __HOST_JUMP__; \
		fakeCheckThread("xsBeginHost"); \
		__HOST_JUMP__.next = __HOST_THE__->jump; \
		__HOST_THE__->jump = &__HOST_JUMP__; \
		if (0 == setjmp(__HOST_JUMP__.buffer)) { \
			xsMachine *the = __HOST_THE__;

#define xsEndHost(_THE) \
			(void)the; \
		} \
		else \
			fakeAbort(__HOST_THE__, "exception out of a host block"); \
		__HOST_THE__->jump = __HOST_JUMP__.next; \
	} while (0)

#endif
