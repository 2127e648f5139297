/*
 * tcppeer on devices (ESP32, ESP8266): whether the peer of one of the SDK's lwIP ECMA-419
 * sockets ($(MODULES)/io/socket/lwip/tcp.c) is still there, as lwIP knows it now.
 *
 * That socket module is the SDK's, not ours, and has no such query. What it does when the
 * peer goes (Moddable SDK 8.2.3, the version this project builds with):
 * - a FIN: lwIP calls its tcpReceive with no pbuf, which removes the pcb's callbacks and sets
 *   kTCPError in the record's `triggered` at once (on ESP32 in lwIP's own thread), then posts
 *   a message to the machine; when that message is delivered, tcpDeliver moves the flag to
 *   `error` and calls onError, but only once every buffered byte has been read. The pcb stays
 *   (CLOSE_WAIT), and `skt` keeps pointing at it.
 * - a RST: lwIP frees the pcb and calls tcpError, which sets `skt` to NULL and, as for a FIN,
 *   kTCPError in `triggered` at once (a socket with onError, as the control connection has).
 *   After a FIN, its callbacks are gone: a later RST reaches nobody, and `skt` is left
 *   pointing at a freed pcb.
 * So the record's `triggered`, `error` and `skt` say, as soon as lwIP has processed the
 * segment and before anything reaches JS, that the peer has closed, half-closed or reset the
 * connection. They are read here, never the pcb itself: on ESP32 lwIP may free it at any
 * moment in its own thread. Each is written in one store of a byte or an aligned pointer (the
 * SDK sets `triggered` with atomics or in a critical section), so a read sees the value before
 * or after, never a torn one.
 *
 * Approximation: the record's layout is the SDK's private one, mirrored below. The object is
 * checked to be that module's socket (its destructor) and the fields read to be plausible;
 * when they are not (another SDK version), nothing is known from the stack, and the session
 * falls back on the socket's onError having arrived within the grace, which it has whenever
 * the FIN or RST was processed by lwIP in time and no unread command bytes hold it back.
 *
 * The grace is a constant: lwIP's round-trip estimate (pcb->sa, pcb->sv) counts 500 ms ticks,
 * no measure for milliseconds, and the pcb is not ours to read from this thread. It is timed
 * from when lwIP processed the data connection's FIN (ftpsock's sinceEnd, passed as `elapsed`):
 * on a device, committing the upload's file to flash before this check already takes
 * milliseconds of it, and only what is left of it is waited (at least one turn of the loop).
 */

#include "xsmc.h"
#include "xsHost.h"
#include "modTimer.h"

#include "lwip/tcp.h"

#include <stddef.h>
#include <stdint.h>

/** The grace, in ms, a dying client's last FIN or RST is given to arrive after its first. */
#define kTCPPeerGrace (3)

// The start of the SDK's TCPRecord (modules/io/socket/lwip/tcp.c), as far as it is read here.
struct SDKTCPRecord {
	struct tcp_pcb	*skt;
	xsSlot			obj;
	void			*buffers;
	uint8_t			triggerable;
	uint8_t			triggered;
	int8_t			useCount;
	uint8_t			error;
	uint8_t			format;
	uint8_t			ready;
};
typedef struct SDKTCPRecord *SDKTCP;

enum {
	kSDKTCPError = 1 << 2,		// the SDK's kTCPError
};

// The SDK socket module's destructor: identifies its host objects.
extern void xs_tcp_destructor(void *data);

enum {
	kPeerOpen = 0,
	kPeerGone = 1,
	kPeerUnknown = 2,
};

struct TCPPeerWaitRecord {
	xsMachine		*the;
	xsSlot			socket;
	xsSlot			callback;
};
typedef struct TCPPeerWaitRecord TCPPeerWaitRecord;
typedef struct TCPPeerWaitRecord *TCPPeerWait;

static uint8_t tcpPeerState(xsMachine *the, xsSlot *socket);
static void tcpPeerWaited(modTimer timer, void *refcon, int refconSize);

uint8_t tcpPeerState(xsMachine *the, xsSlot *socket)
{
	xsHostHooks *hooks = xsGetHostHooksIf(*socket);
	SDKTCP tcp;
	uint8_t triggered, error, ready;

	if (!hooks || (hooks->destructor != xs_tcp_destructor))
		return kPeerGone;		// closed (its hooks are removed with its record), or no SDK socket
	tcp = xsmcGetHostData(*socket);
	if (!tcp)
		return kPeerGone;
	// volatile reads: lwIP's thread writes these (no __atomic builtins, which the ESP8266's
	// toolchain may lower to library calls it does not have)
	triggered = *(volatile uint8_t *)&tcp->triggered;
	error = *(volatile uint8_t *)&tcp->error;
	ready = *(volatile uint8_t *)&tcp->ready;
	// the layout seen matches the SDK's: flags are 0 or 1, a live record is held at least once
	if ((error > 1) || (ready > 1) || (tcp->useCount < 1) || (triggered & ~0x0F))
		return kPeerUnknown;
	if ((triggered & kSDKTCPError) || error || !ready || (NULL == *(struct tcp_pcb * volatile *)&tcp->skt))
		return kPeerGone;
	return kPeerOpen;
}

// prepare(socket): nothing here (the Linux host finds a local client's process)
void xs_tcppeer_prepare(xsMachine *the)
{
	(void)the;
}

// confirm(socket, callback[, elapsed]): false when the peer is gone now (no callback follows);
// else true, and callback(open) is called from the machine's timers once the grace, timed from
// `elapsed` µs ago, has passed.
void xs_tcppeer_confirm(xsMachine *the)
{
	TCPPeerWait wait;
	int remaining = kTCPPeerGrace;

	if (kPeerGone == tcpPeerState(the, &xsArg(0))) {
		xsmcSetFalse(xsResult);
		return;
	}
	if (!xsmcIsCallable(xsArg(1)))
		xsTypeError("no callback");
	if (xsmcArgc > 2) {
		xsNumberValue elapsed = xsmcToNumber(xsArg(2));
		if (elapsed > 0)		// NaN and -1 (no FIN known): none
			remaining = (elapsed >= (kTCPPeerGrace * 1000)) ? 0 : (kTCPPeerGrace - (int)(elapsed / 1000));
	}
	wait = c_calloc(1, sizeof(TCPPeerWaitRecord));
	if (!wait)
		xsRangeError("no memory");
	wait->the = the;
	wait->socket = xsArg(0);
	wait->callback = xsArg(1);
	xsRemember(wait->socket);
	xsRemember(wait->callback);
	if (!modTimerAdd(remaining, 0, tcpPeerWaited, &wait, sizeof(wait))) {
		xsForget(wait->callback);
		xsForget(wait->socket);
		c_free(wait);
		xsRangeError("no timer");
	}
	xsmcSetTrue(xsResult);
}

void tcpPeerWaited(modTimer timer, void *refcon, int refconSize)
{
	TCPPeerWait wait = *(TCPPeerWait *)refcon;
	xsMachine *the = wait->the;

	(void)timer;
	(void)refconSize;
	xsBeginHost(the);
		// unknown counts as open: the session also requires the socket's onError not to have come
		uint8_t open = kPeerGone != tcpPeerState(the, &wait->socket);
		// the record goes first: the callback may confirm again, or throw
		xsResult = wait->callback;
		xsForget(wait->callback);
		xsForget(wait->socket);
		c_free(wait);
		xsCallFunction1(xsResult, xsUndefined, open ? xsTrue : xsFalse);
	xsEndHost(the);
}
