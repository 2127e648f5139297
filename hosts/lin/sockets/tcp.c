/*
 * ECMA-419 TCP socket and listener for the headless Linux host, on the GLib main loop.
 *
 * Same JS API and callback order as the lwIP implementation the server runs on devices:
 * - onWritable(count) once the connection is established, then whenever room opens again
 *   after writes; count is the free space of a native output queue (kTCPOutputSize), so a
 *   write never loses bytes: what the kernel does not take stays queued until G_IO_OUT.
 * - write() queues, and answers the room left, as lwIP's does. Within a callback of the
 *   socket, the queue goes to the kernel when the JS turn ends, the way lwIP writes with
 *   TCP_WRITE_FLAG_MORE and outputs later: the lines of a multi-line reply leave together,
 *   with no Nagle stall between them. Written from elsewhere (a promise job), it goes at once.
 * - onReadable(count) with the total buffered when bytes arrive; onError only once every
 *   buffered byte has been read (peer EOF or a socket error).
 * - close() flushes the output queue, then closes; calling it twice is harmless.
 *
 * Everything is driven by fd watches (ftpsockWatch, shared with ftpsock) on the default context, with
 * G_IO_IN / G_IO_OUT requested only while needed, and by a one-shot idle source for what
 * falls due without I/O (room to announce, onError after the last read), the way lwIP posts
 * its deliveries to the machine. No timers, no polling.
 */

#ifndef _GNU_SOURCE
	#define _GNU_SOURCE		// accept4(): accepted sockets non-blocking without a second call
#endif

#include "xsmc.h"
#include "mc.xs.h"			// for xsID_* values
#include "builtinCommon.h"
#include "../../../modules/ftpsock/ftpsock_posix.h"		// ftpsockWatch: fd sources that do not wake the loop per dispatch

#include <glib-unix.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

void xs_lin_tcp_destructor(void *data);
void xs_lin_listener_destructor(void *data);

#define kTCPInputSize (16384)
#define kTCPOutputSize (8192)
#define kListenerPendingSize (64)
// the bounds of the grace a dying client's last FIN or RST is given (tcppeer), in microseconds
#define kTCPPeerGraceMin (500)
#define kTCPPeerGraceMax (20000)
#define kTCPPeerGraceDefault (2000)		// when the kernel tells no round trip
#define kTCPPeerCalmStep (50)			// µs between the first two looks at the machine for a local peer, doubled after each

/*
	TCP
*/

struct TCPRecord {
	int				fd;
	xsMachine		*the;
	xsSlot			obj;
	guint			watch;			// ftpsockWatch source, 0 when no condition is wanted
	GIOCondition	watching;
	guint			idle;			// pending delivery requested from a JS call
	int				useCount;		// the JS object, a closing flush, a callback in progress

	uint8_t			format;
	uint8_t			attached;		// owned by a JS object, which is remembered while open
	uint8_t			connecting;		// non-blocking connect() in progress
	uint8_t			ready;			// connected: reads, writes and getters work
	uint8_t			eof;			// peer sent FIN
	uint8_t			reported;		// onError delivered (or owed no more)
	uint8_t			closing;		// close() called: flush the output queue, then close
	uint8_t			readable;		// bytes arrived since the last onReadable
	uint8_t			busy;			// in tcpReady / tcpIdle, which settle the watch afterwards
	uint8_t			hasAddresses;
	int				failure;		// errno of a socket error, 0 when none
	uint32_t		peerGrace;		// tcppeer: the grace last computed for this connection, µs
	uint32_t		peerGraceUses;

	uint32_t		announced;		// writable count the JS side was last told
	xsSlot			*onReadable;
	xsSlot			*onWritable;
	xsSlot			*onError;

	struct sockaddr_in	local;
	struct sockaddr_in	remote;

	uint32_t		inStart;
	uint32_t		inEnd;
	uint32_t		outStart;
	uint32_t		outEnd;
	uint8_t			input[kTCPInputSize];
	uint8_t			output[kTCPOutputSize];
};
typedef struct TCPRecord TCPRecord;
typedef struct TCPRecord *TCP;

static TCP tcpCreate(void);
static void tcpHold(TCP tcp);
static void tcpRelease(TCP tcp);
static void tcpFree(TCP tcp);
static void tcpDetach(xsMachine *the, xsSlot *instance, TCP tcp);
static void tcpEstablished(TCP tcp);
static void tcpFail(TCP tcp, int failure);
static void tcpReceive(TCP tcp);
static void tcpFlush(TCP tcp);
static void tcpFinish(TCP tcp);
static void tcpWatch(TCP tcp);
static void tcpSchedule(TCP tcp);
static void tcpSettle(TCP tcp);
static void tcpDeliver(TCP tcp);
static gboolean tcpReady(gint fd, GIOCondition condition, gpointer data);
static gboolean tcpIdle(gpointer data);
static void xs_lin_tcp_mark(xsMachine* the, void* it, xsMarkRoot markRoot);

static const xsHostHooks xsTCPHooks = {
	xs_lin_tcp_destructor,
	xs_lin_tcp_mark,
	NULL
};

#define tcpInputUsed(tcp) ((tcp)->inEnd - (tcp)->inStart)
#define tcpOutputUsed(tcp) ((tcp)->outEnd - (tcp)->outStart)
#define tcpOutputFree(tcp) (kTCPOutputSize - tcpOutputUsed(tcp))

void xs_lin_tcp_constructor(xsMachine *the)
{
	TCP tcp;
	uint8_t format = kIOFormatBuffer, nodelay = 0;
	xsSlot *onReadable, *onWritable, *onError;

	if (0 == xsmcArgc) {
		// an empty socket for Listener.prototype.read() to fill; it owns nothing that needs
		// the main loop, so it is not remembered: dropped unused, the collector closes its fd
		tcp = tcpCreate();
		if (!tcp)
			xsRangeError("no memory");
		tcp->the = the;
		xsmcSetHostData(xsThis, tcp);
		xsSetHostHooks(xsThis, (xsHostHooks *)&xsTCPHooks);
		return;
	}

	xsmcVars(1);

	format = builtinInitializeFormat(the, format);
	if ((kIOFormatNumber != format) && (kIOFormatBuffer != format))
		xsRangeError("unimplemented");

	onReadable = builtinGetCallback(the, xsID_onReadable);
	onWritable = builtinGetCallback(the, xsID_onWritable);
	onError = builtinGetCallback(the, xsID_onError);

	if (xsmcHas(xsArg(0), xsID_nodelay)) {
		xsmcGet(xsVar(0), xsArg(0), xsID_nodelay);
		nodelay = xsmcToBoolean(xsVar(0)) ? 2 : 1;
	}

	if (xsmcHas(xsArg(0), xsID_from)) {
		xsmcGet(xsVar(0), xsArg(0), xsID_from);
		tcp = xsmcGetHostDataValidate(xsVar(0), (void *)&xsTCPHooks);
		if (!tcp || (tcp->fd < 0))
			xsUnknownError("invalid from");

		// the record moves to the new object, with its buffers and state
		if (tcp->attached)
			tcpDetach(the, &xsVar(0), tcp);		// its hold passes to the new object
		else {
			xsmcSetHostData(xsVar(0), NULL);
			xsmcSetHostDestructor(xsVar(0), NULL);
		}
		xsmcSetHostData(xsThis, tcp);
		xsSetHostHooks(xsThis, (xsHostHooks *)&xsTCPHooks);
		tcp->announced = 0;
		tcp->readable = tcpInputUsed(tcp) ? 1 : 0;
	}
	else {
		char addressString[64];
		struct sockaddr_in address = {0};
		int port;

		xsmcGet(xsVar(0), xsArg(0), xsID_address);
		xsmcToStringBuffer(xsVar(0), addressString, sizeof(addressString));
		if (1 != inet_pton(AF_INET, addressString, &address.sin_addr))
			xsUnknownError("invalid address");

		xsmcGet(xsVar(0), xsArg(0), xsID_port);
		port = builtinGetSignedInteger(the, &xsVar(0));
		if ((port < 0) || (port > 65535))
			xsRangeError("invalid port");
		address.sin_family = AF_INET;
		address.sin_port = htons((uint16_t)port);

		tcp = tcpCreate();
		if (!tcp)
			xsRangeError("no memory");
		tcp->the = the;
		// installed first, so that the collector frees the record if anything below throws
		xsmcSetHostData(xsThis, tcp);
		xsSetHostHooks(xsThis, (xsHostHooks *)&xsTCPHooks);

		tcp->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (tcp->fd < 0)
			xsUnknownError("no socket: %s", strerror(errno));

		// as on lwIP, a refused connect is reported through onError, never by the constructor
		if (connect(tcp->fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
			if (EINPROGRESS == errno)
				tcp->connecting = 1;
			else
				tcpFail(tcp, errno);
		}
		else
			tcpEstablished(tcp);
	}

	if (nodelay && (tcp->fd >= 0)) {
		int value = (2 == nodelay) ? 1 : 0;
		setsockopt(tcp->fd, IPPROTO_TCP, TCP_NODELAY, &value, sizeof(value));
	}

	builtinInitializeTarget(the);

	tcp->the = the;
	tcp->format = format;
	tcp->onReadable = onReadable;
	tcp->onWritable = onWritable;
	tcp->onError = onError;
	tcp->obj = xsThis;
	xsRemember(tcp->obj);
	tcp->attached = 1;

	// the first onWritable / onReadable / onError come from the loop, never from here
	if (tcp->failure || tcp->eof || tcp->readable)
		tcpSchedule(tcp);
	tcpWatch(tcp);
}

void xs_lin_tcp_destructor(void *data)
{
	TCP tcp = data;
	if (!tcp) return;

	// only unreachable objects get here: empty sockets never filled or adopted, or every
	// object when the machine is deleted; nothing may call back into JS any more
	tcp->attached = 0;
	tcp->onReadable = tcp->onWritable = tcp->onError = NULL;
	tcpRelease(tcp);
}

void xs_lin_tcp_close(xsMachine *the)
{
	TCP tcp = xsmcGetHostData(xsThis);

	if (!tcp || !xsmcGetHostDataValidate(xsThis, (void *)&xsTCPHooks))
		return;		// already closed

	if (!tcp->attached) {
		// an empty socket: nothing to flush
		xsmcSetHostData(xsThis, NULL);
		xsmcSetHostDestructor(xsThis, NULL);
		tcpRelease(tcp);
		return;
	}

	tcpDetach(the, &xsThis, tcp);
	if (tcpOutputUsed(tcp) && !tcp->failure && (tcp->fd >= 0)) {
		// keep the record until G_IO_OUT has flushed the queue (from the loop, like any write)
		tcp->closing = 1;
		tcpHold(tcp);
		tcpWatch(tcp);
	}
	else
		tcpFinish(tcp);
	tcpRelease(tcp);		// the object's hold, inherited from tcpDetach
}

void xs_lin_tcp_read(xsMachine *the)
{
	TCP tcp = xsmcGetHostDataValidate(xsThis, (void *)&xsTCPHooks);
	uint32_t available = tcpInputUsed(tcp), requested;
	uint8_t *in = tcp->input + tcp->inStart;

	if (!available)
		return;

	if (kIOFormatNumber == tcp->format) {
		requested = 1;
		xsmcSetInteger(xsResult, *in);
	}
	else if ((xsmcArgc > 0) && (xsReferenceType == xsmcTypeOf(xsArg(0)))) {
		void *data;
		xsUnsignedValue byteLength;

		xsmcGetBufferWritable(xsArg(0), &data, &byteLength);
		if ((0 == byteLength) || (byteLength > available))
			xsUnknownError("invalid");
		requested = (uint32_t)byteLength;
		c_memmove(data, in, requested);
		xsmcSetInteger(xsResult, requested);
	}
	else {
		if (0 == xsmcArgc)
			requested = available;
		else {
			int count = xsmcToInteger(xsArg(0));
			if ((count <= 0) || ((uint32_t)count > available))
				xsUnknownError("invalid");
			requested = (uint32_t)count;
		}
		// the allocation may collect garbage, never move the native buffer: `in` stays valid
		c_memmove(xsmcSetArrayBuffer(xsResult, NULL, requested), in, requested);
	}

	tcp->inStart += requested;
	if (tcp->inStart == tcp->inEnd)
		tcp->inStart = tcp->inEnd = 0;

	if (!tcp->busy)
		tcpWatch(tcp);		// when the buffer was full: room again, listen for more
	if (!tcpInputUsed(tcp) && (tcp->eof || tcp->failure) && !tcp->reported)
		tcpSchedule(tcp);	// the last buffered byte is read: onError is due
}

void xs_lin_tcp_write(xsMachine *the)
{
	TCP tcp = xsmcGetHostDataValidate(xsThis, (void *)&xsTCPHooks);
	xsUnsignedValue needed;
	void *buffer;
	uint8_t value;
	uint32_t available;

	if (tcp->failure || tcp->reported) {
		// as on lwIP, what is written once the connection failed or ended goes nowhere
		xsmcSetInteger(xsResult, 0);
		return;
	}
	if (!tcp->ready || (tcp->fd < 0))
		xsUnknownError("not ready");

	if (kIOFormatBuffer == tcp->format)
		xsmcGetBufferReadable(xsArg(0), &buffer, &needed);
	else {
		needed = 1;
		value = (uint8_t)xsmcToInteger(xsArg(0));
		buffer = &value;
	}

	available = tcpOutputFree(tcp);
	if (needed > available)
		xsUnknownError("would block");

	if (needed) {
		if ((tcp->outEnd + needed) > kTCPOutputSize) {
			c_memmove(tcp->output, tcp->output + tcp->outStart, tcpOutputUsed(tcp));
			tcp->outEnd -= tcp->outStart;
			tcp->outStart = 0;
		}
		c_memmove(tcp->output + tcp->outEnd, buffer, needed);
		tcp->outEnd += needed;
		// Called back from the loop, the bytes go at the end of this JS turn with whatever
		// else it writes (tcpSettle). Written from elsewhere (a promise job, a timer), they go
		// now: waiting for G_IO_OUT would cost a round of the loop and two watch changes per
		// reply, each of which wakes the loop through its eventfd.
		if (!tcp->busy) {
			tcpFlush(tcp);
			tcpWatch(tcp);
		}
	}

	// the room left now, as lwIP's write answers tcp_sndbuf()
	tcp->announced = tcpOutputFree(tcp);
	xsmcSetInteger(xsResult, tcp->announced);
}

static void tcpGetAddress(xsMachine *the, TCP tcp, struct sockaddr_in *address)
{
	char buffer[INET_ADDRSTRLEN];

	if (!tcp->hasAddresses)
		return;		// undefined: not connected yet
	if (inet_ntop(AF_INET, &address->sin_addr, buffer, sizeof(buffer)))
		xsmcSetString(xsResult, buffer);
}

void xs_lin_tcp_get_remoteAddress(xsMachine *the)
{
	TCP tcp = xsmcGetHostDataValidate(xsThis, (void *)&xsTCPHooks);
	tcpGetAddress(the, tcp, &tcp->remote);
}

void xs_lin_tcp_get_remotePort(xsMachine *the)
{
	TCP tcp = xsmcGetHostDataValidate(xsThis, (void *)&xsTCPHooks);
	if (tcp->hasAddresses)
		xsmcSetInteger(xsResult, ntohs(tcp->remote.sin_port));
}

void xs_lin_tcp_get_localAddress(xsMachine *the)
{
	TCP tcp = xsmcGetHostDataValidate(xsThis, (void *)&xsTCPHooks);
	tcpGetAddress(the, tcp, &tcp->local);
}

void xs_lin_tcp_get_localPort(xsMachine *the)
{
	TCP tcp = xsmcGetHostDataValidate(xsThis, (void *)&xsTCPHooks);
	if (tcp->hasAddresses)
		xsmcSetInteger(xsResult, ntohs(tcp->local.sin_port));
}

void xs_lin_tcp_get_format(xsMachine *the)
{
	TCP tcp = xsmcGetHostDataValidate(xsThis, (void *)&xsTCPHooks);
	builtinGetFormat(the, tcp->format);
}

void xs_lin_tcp_set_format(xsMachine *the)
{
	TCP tcp = xsmcGetHostDataValidate(xsThis, (void *)&xsTCPHooks);
	uint8_t format = builtinSetFormat(the);
	if ((kIOFormatNumber != format) && (kIOFormatBuffer != format))
		xsRangeError("unimplemented");
	tcp->format = format;
}

TCP tcpCreate(void)
{
	TCP tcp = c_calloc(1, sizeof(TCPRecord));
	if (!tcp)
		return NULL;
	tcp->fd = -1;
	tcp->format = kIOFormatBuffer;
	tcp->useCount = 1;		// the JS object
	return tcp;
}

void tcpHold(TCP tcp)
{
	tcp->useCount += 1;
}

void tcpRelease(TCP tcp)
{
	tcp->useCount -= 1;
	if (tcp->useCount <= 0)
		tcpFree(tcp);
}

void tcpFree(TCP tcp)
{
	if (tcp->watch)
		g_source_remove(tcp->watch);
	if (tcp->idle)
		g_source_remove(tcp->idle);
	if (tcp->fd >= 0)
		close(tcp->fd);
	c_free(tcp);
}

// Unlinks the record from its JS object, which may then be collected. The caller inherits
// the object's hold on the record.
void tcpDetach(xsMachine *the, xsSlot *instance, TCP tcp)
{
	xsmcSetHostData(*instance, NULL);
	xsmcSetHostDestructor(*instance, NULL);
	xsForget(tcp->obj);
	tcp->attached = 0;
	tcp->onReadable = tcp->onWritable = tcp->onError = NULL;
	tcp->readable = 0;
}

void tcpEstablished(TCP tcp)
{
	socklen_t length;

	tcp->connecting = 0;
	tcp->ready = 1;
	if (tcp->hasAddresses)
		return;
	// kept, so that the getters still answer once the peer has gone
	length = sizeof(tcp->local);
	if (getsockname(tcp->fd, (struct sockaddr *)&tcp->local, &length) < 0)
		return;
	length = sizeof(tcp->remote);
	if (getpeername(tcp->fd, (struct sockaddr *)&tcp->remote, &length) < 0)
		return;
	tcp->hasAddresses = 1;
}

void tcpFail(TCP tcp, int failure)
{
	tcp->failure = failure ? failure : EIO;
	tcp->connecting = 0;
	tcp->outStart = tcp->outEnd = 0;		// nobody will take these bytes now
	// a send failing after the callbacks ran (or from a JS call) leaves no watch to report it
	if (tcp->attached)
		tcpSchedule(tcp);
}

void tcpReceive(TCP tcp)
{
	ssize_t count;

	if (tcp->inStart) {
		c_memmove(tcp->input, tcp->input + tcp->inStart, tcpInputUsed(tcp));
		tcp->inEnd -= tcp->inStart;
		tcp->inStart = 0;
	}
	if (kTCPInputSize == tcp->inEnd)
		return;

	do {
		count = recv(tcp->fd, tcp->input + tcp->inEnd, kTCPInputSize - tcp->inEnd, MSG_DONTWAIT);
	} while ((count < 0) && (EINTR == errno));

	if (count > 0) {
		tcp->inEnd += (uint32_t)count;
		tcp->readable = 1;
	}
	else if (0 == count)
		tcp->eof = 1;
	else if ((EAGAIN != errno) && (EWOULDBLOCK != errno))
		tcpFail(tcp, errno);
}

void tcpFlush(TCP tcp)
{
	while (tcpOutputUsed(tcp) && (tcp->fd >= 0) && !tcp->failure) {
		ssize_t count = send(tcp->fd, tcp->output + tcp->outStart, tcpOutputUsed(tcp), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (count > 0)
			tcp->outStart += (uint32_t)count;
		else if ((count < 0) && (EINTR == errno))
			continue;
		else if ((count < 0) && ((EAGAIN == errno) || (EWOULDBLOCK == errno)))
			break;
		else
			tcpFail(tcp, (count < 0) ? errno : EIO);
	}
	if (tcp->outStart == tcp->outEnd)
		tcp->outStart = tcp->outEnd = 0;
}

// The last step of close(), once the queue is flushed (or cannot be).
void tcpFinish(TCP tcp)
{
	if (tcp->fd >= 0) {
		// Closing a socket with unread input makes the kernel reset the connection, and a
		// reset can destroy the reply just flushed before the peer reads it: discard what
		// has already arrived so that close() ends with a FIN.
		uint8_t scratch[2048];
		int rounds = 32;
		while (rounds-- && (recv(tcp->fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0))
			;
		if (tcp->watch) {
			g_source_remove(tcp->watch);	// also fine from the source's own callback
			tcp->watch = 0;
			tcp->watching = 0;
		}
		close(tcp->fd);
		tcp->fd = -1;
	}
	if (tcp->closing) {
		tcp->closing = 0;
		tcpRelease(tcp);		// the flush's hold
	}
}

// Asks the loop for exactly the conditions the record needs now.
void tcpWatch(TCP tcp)
{
	GIOCondition wanted = 0;

	if ((tcp->fd >= 0) && !tcp->failure) {
		if (tcp->connecting)
			wanted = G_IO_OUT;
		else if (tcp->ready) {
			if (tcpOutputUsed(tcp))
				wanted |= G_IO_OUT;
			if (tcp->attached) {
				if (!tcp->eof && (tcpInputUsed(tcp) < kTCPInputSize))
					wanted |= G_IO_IN;
				// room the JS side has not been told about: announced from the loop, at once
				// when the queue is empty (the kernel took it all), else once G_IO_OUT drains it
				if (tcp->onWritable && !tcp->reported && (tcpOutputFree(tcp) > tcp->announced) && !tcpOutputUsed(tcp))
					tcpSchedule(tcp);
			}
		}
	}

	if (wanted == tcp->watching)
		return;
	if (tcp->watch)
		g_source_remove(tcp->watch);	// also fine from the source's own callback
	tcp->watch = wanted ? ftpsockWatch(tcp->fd, wanted, tcpReady, tcp) : 0;
	tcp->watching = wanted;
}

void tcpSchedule(TCP tcp)
{
	// default priority: at the idle priority it would starve behind busy sockets
	if (!tcp->idle)
		tcp->idle = g_idle_add_full(G_PRIORITY_DEFAULT, tcpIdle, tcp, NULL);
}

gboolean tcpIdle(gpointer data)
{
	TCP tcp = data;

	tcp->idle = 0;
	tcpHold(tcp);
	tcp->busy = 1;
	tcpDeliver(tcp);
	tcp->busy = 0;
	tcpSettle(tcp);
	tcpRelease(tcp);
	return G_SOURCE_REMOVE;
}

gboolean tcpReady(gint fd, GIOCondition condition, gpointer data)
{
	TCP tcp = data;

	(void)fd;
	tcpHold(tcp);
	tcp->busy = 1;

	if (tcp->connecting) {
		int failure = 0;
		socklen_t length = sizeof(failure);
		if (getsockopt(tcp->fd, SOL_SOCKET, SO_ERROR, &failure, &length) < 0)
			failure = errno;
		if (failure)
			tcpFail(tcp, failure);
		else
			tcpEstablished(tcp);
	}
	else if (tcp->ready) {
		if ((condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)) && (tcp->watching & G_IO_IN))
			tcpReceive(tcp);
		if ((condition & G_IO_ERR) && !tcp->failure) {
			int failure = 0;
			socklen_t length = sizeof(failure);
			if ((0 == getsockopt(tcp->fd, SOL_SOCKET, SO_ERROR, &failure, &length)) && failure)
				tcpFail(tcp, failure);
		}
		tcpFlush(tcp);
	}

	tcpDeliver(tcp);
	tcp->busy = 0;
	tcpSettle(tcp);
	tcpRelease(tcp);
	return G_SOURCE_CONTINUE;
}

// After the callbacks: sends what they wrote (the end of the JS turn), finishes a close
// whose queue is empty, and asks the loop for what is needed next.
void tcpSettle(TCP tcp)
{
	tcpFlush(tcp);
	if (tcp->closing && (!tcpOutputUsed(tcp) || tcp->failure))
		tcpFinish(tcp);
	else if (tcp->fd >= 0)
		tcpWatch(tcp);
}

// Calls back in the lwIP order: onReadable, then onWritable, then onError once nothing
// buffered is left. Any callback may close the socket: check before each.
void tcpDeliver(TCP tcp)
{
	xsMachine *the = tcp->the;

	if (!tcp->attached)
		return;

	if (tcp->readable) {
		tcp->readable = 0;
		if (tcp->onReadable && tcpInputUsed(tcp)) {
			xsBeginHost(the);
				xsmcSetInteger(xsResult, tcpInputUsed(tcp));
				xsCallFunction1(xsReference(tcp->onReadable), tcp->obj, xsResult);
			xsEndHost(the);
			if (!tcp->attached)
				return;
		}
	}

	if (tcp->ready && !tcp->failure && !tcp->reported && tcp->onWritable) {
		uint32_t available = tcpOutputFree(tcp);
		if (available > tcp->announced) {
			tcp->announced = available;
			xsBeginHost(the);
				xsmcSetInteger(xsResult, available);
				xsCallFunction1(xsReference(tcp->onWritable), tcp->obj, xsResult);
			xsEndHost(the);
			if (!tcp->attached)
				return;
		}
	}

	if ((tcp->eof || tcp->failure) && !tcpInputUsed(tcp) && !tcp->reported) {
		tcp->reported = 1;
		if (tcp->onError) {
			xsBeginHost(the);
				xsCallFunction0(xsReference(tcp->onError), tcp->obj);
			xsEndHost(the);
		}
	}
}

void xs_lin_tcp_mark(xsMachine* the, void* it, xsMarkRoot markRoot)
{
	TCP tcp = it;

	if (tcp->onReadable)
		(*markRoot)(the, tcp->onReadable);
	if (tcp->onWritable)
		(*markRoot)(the, tcp->onWritable);
	if (tcp->onError)
		(*markRoot)(the, tcp->onError);
}

/*
	Listener
*/

struct ListenerRecord {
	int				fd;
	xsMachine		*the;
	xsSlot			obj;
	guint			watch;
	uint8_t			remembered;
	xsSlot			*onReadable;

	// accepted connections not read yet, oldest first
	int				pendingStart;
	int				pendingCount;
	int				pending[kListenerPendingSize];
};
typedef struct ListenerRecord ListenerRecord;
typedef struct ListenerRecord *Listener;

static void listenerWatch(Listener listener);
static gboolean listenerReady(gint fd, GIOCondition condition, gpointer data);
static void xs_lin_listener_mark(xsMachine* the, void* it, xsMarkRoot markRoot);

static const xsHostHooks xsListenerHooks = {
	xs_lin_listener_destructor,
	xs_lin_listener_mark,
	NULL
};

void xs_lin_listener_constructor(xsMachine *the)
{
	Listener listener;
	struct sockaddr_in address = {0};
	int port = 0, yes = 1;
	xsSlot *onReadable;

	xsmcVars(1);

	if (xsmcHas(xsArg(0), xsID_port)) {
		xsmcGet(xsVar(0), xsArg(0), xsID_port);
		port = builtinGetSignedInteger(the, &xsVar(0));
		if ((port < 0) || (port > 65535))
			xsRangeError("invalid port");
	}

	address.sin_family = AF_INET;
	address.sin_port = htons((uint16_t)port);
	address.sin_addr.s_addr = htonl(INADDR_ANY);
	if (xsmcHas(xsArg(0), xsID_address)) {
		xsmcGet(xsVar(0), xsArg(0), xsID_address);
		if (xsmcTest(xsVar(0))) {
			char addressString[64];
			xsmcToStringBuffer(xsVar(0), addressString, sizeof(addressString));
			if (1 != inet_pton(AF_INET, addressString, &address.sin_addr))
				xsUnknownError("invalid address");
		}
	}

	onReadable = builtinGetCallback(the, xsID_onReadable);

	if (kIOFormatSocketTCP != builtinInitializeFormat(the, kIOFormatSocketTCP))
		xsRangeError("unimplemented");

	listener = c_calloc(1, sizeof(ListenerRecord));
	if (!listener)
		xsRangeError("no memory");
	listener->fd = -1;
	listener->the = the;
	// installed first, so that the collector frees the record if anything below throws
	xsmcSetHostData(xsThis, listener);
	xsSetHostHooks(xsThis, (xsHostHooks *)&xsListenerHooks);

	listener->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listener->fd < 0)
		xsUnknownError("no socket: %s", strerror(errno));
	setsockopt(listener->fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
	if (bind(listener->fd, (struct sockaddr *)&address, sizeof(address)) < 0)
		xsUnknownError("bind failed: %s", strerror(errno));
	if (listen(listener->fd, SOMAXCONN) < 0)
		xsUnknownError("listen failed: %s", strerror(errno));

	builtinInitializeTarget(the);

	listener->onReadable = onReadable;
	listener->obj = xsThis;
	xsRemember(listener->obj);
	listener->remembered = 1;
	listenerWatch(listener);
}

void xs_lin_listener_destructor(void *data)
{
	Listener listener = data;
	if (!listener) return;

	if (listener->watch)
		g_source_remove(listener->watch);
	if (listener->fd >= 0)
		close(listener->fd);
	while (listener->pendingCount) {
		close(listener->pending[listener->pendingStart]);
		listener->pendingStart = (listener->pendingStart + 1) % kListenerPendingSize;
		listener->pendingCount -= 1;
	}
	c_free(listener);
}

void xs_lin_listener_close(xsMachine *the)
{
	Listener listener = xsmcGetHostData(xsThis);

	if (!listener || !xsmcGetHostDataValidate(xsThis, (void *)&xsListenerHooks))
		return;		// already closed
	if (listener->remembered)
		xsForget(listener->obj);
	xsmcSetHostData(xsThis, NULL);
	xsmcSetHostDestructor(xsThis, NULL);
	xs_lin_listener_destructor(listener);
}

// read() with the empty socket made by listener.js: fills it with the oldest pending
// connection, or answers undefined when there is none.
void xs_lin_listener_read(xsMachine *the)
{
	Listener listener = xsmcGetHostDataValidate(xsThis, (void *)&xsListenerHooks);
	TCP tcp;

	if (!listener->pendingCount)
		return;

	tcp = xsmcGetHostDataValidate(xsArg(0), (void *)&xsTCPHooks);
	if (!tcp || (tcp->fd >= 0) || tcp->attached)
		xsUnknownError("invalid socket");

	tcp->fd = listener->pending[listener->pendingStart];
	listener->pendingStart = (listener->pendingStart + 1) % kListenerPendingSize;
	listener->pendingCount -= 1;
	tcpEstablished(tcp);
	xsResult = xsArg(0);

	if ((kListenerPendingSize - 1) == listener->pendingCount)
		listenerWatch(listener);		// was full: accept again
}

void xs_lin_listener_get_port(xsMachine *the)
{
	Listener listener = xsmcGetHostDataValidate(xsThis, (void *)&xsListenerHooks);
	struct sockaddr_in address;
	socklen_t length = sizeof(address);

	if (getsockname(listener->fd, (struct sockaddr *)&address, &length) < 0)
		return;
	xsmcSetInteger(xsResult, ntohs(address.sin_port));
}

void listenerWatch(Listener listener)
{
	// when the pending list is full, the kernel's backlog holds the next connections
	uint8_t wanted = (listener->fd >= 0) && (listener->pendingCount < kListenerPendingSize);

	if (wanted && !listener->watch)
		listener->watch = ftpsockWatch(listener->fd, G_IO_IN, listenerReady, listener);
	else if (!wanted && listener->watch) {
		g_source_remove(listener->watch);
		listener->watch = 0;
	}
}

gboolean listenerReady(gint fd, GIOCondition condition, gpointer data)
{
	Listener listener = data;
	xsMachine *the = listener->the;
	int accepted = 0;

	(void)fd;
	(void)condition;
	while (listener->pendingCount < kListenerPendingSize) {
		int skt = accept4(listener->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (skt < 0) {
			if ((EINTR == errno) || (ECONNABORTED == errno))
				continue;
			// EAGAIN: all taken. EMFILE and the like: the connection stays in the backlog and
			// the still-readable listener retries on the next loop iteration
			break;
		}
		// urgent data in line: FTP clients send ABOR (ftplib) or Telnet DM (tnftp) with MSG_OOB,
		// and Linux would otherwise take that byte out of the stream and break the line
		int one = 1;
		setsockopt(skt, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
		listener->pending[(listener->pendingStart + listener->pendingCount) % kListenerPendingSize] = skt;
		listener->pendingCount += 1;
		accepted += 1;
	}
	listenerWatch(listener);

	// the callback may close the listener: nothing touches the record after it
	if (accepted && listener->onReadable) {
		xsBeginHost(the);
			xsmcSetInteger(xsResult, listener->pendingCount);
			xsCallFunction1(xsReference(listener->onReadable), listener->obj, xsResult);
		xsEndHost(the);
	}
	return G_SOURCE_CONTINUE;
}

void xs_lin_listener_mark(xsMachine* the, void* it, xsMarkRoot markRoot)
{
	Listener listener = it;

	if (listener->onReadable)
		(*markRoot)(the, listener->onReadable);
}

/*
	tcppeer (see tcppeer.js): whether a connection's peer is still there, as the kernel knows it
	now, and a wait of a grace for it to close. The session asks this of the control connection
	before committing an upload: the queued events of the loop (onError after a FIN or RST) may
	not have run yet, and the FIN or RST of a dying client may still be on its way.
*/

// A FIN (half-close), a reset or an error the kernel has seen on the connection, whether or
// not the loop has delivered it yet (`ask`: ask the kernel; else only what the record knows).
// A FIN behind unread bytes counts as well: POLLRDHUP is set once the kernel has received it,
// not once it has been read.
static uint8_t tcpPeerGone(TCP tcp, uint8_t ask)
{
	struct pollfd request;

	if ((tcp->fd < 0) || tcp->eof || tcp->failure || tcp->reported || !tcp->ready)
		return 1;
	if (!ask)
		return 0;
	request.fd = tcp->fd;
	request.events = POLLRDHUP;
	request.revents = 0;
	if (poll(&request, 1, 0) < 0)
		return 0;		// EINTR, ENOMEM: nothing known against the peer
	return (request.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) ? 1 : 0;
}

// glibc's struct tcp_info ends before the kernel's tcpi_min_rtt (Linux 4.10): the fields that
// follow it, as <linux/tcp.h> declares them (it cannot be included beside <netinet/tcp.h>).
// A kernel that fills less leaves `length` short of minRTT.
struct TCPInfoRecord {
	struct tcp_info	info;
	uint64_t		pacingRate;
	uint64_t		maxPacingRate;
	uint64_t		bytesAcked;
	uint64_t		bytesReceived;
	uint32_t		segmentsOut;
	uint32_t		segmentsIn;
	uint32_t		notSentBytes;
	uint32_t		minRTT;			// µs, the smallest round trip seen in the last 5 minutes
};

// How long, in microseconds, a dying peer's FIN or RST on this connection may trail its data
// connection's FIN.
//
// A client that dies closes its sockets one after the other, in no order we know. On the same
// machine the first FIN wakes the server, which may take the CPU from the dying client before
// it closes the other socket: measured with curl killed mid-upload on a busy 2-CPU machine,
// the control connection's FIN or RST came 80 to 320 µs after the session's first check in
// 10 kills of 11, once 1.1 ms. Across a network the two segments are also apart by the path's
// jitter, which grows with its round trip. So: a constant for the client, plus half the
// connection's smallest round trip (the smoothed tcpi_rtt is no measure here: a client's
// delayed ACKs of replies inflate it, to about 5 ms on loopback), capped; extended on a busy
// machine, ended early for a peer on this machine when it is calm (tcpPeerWaited).
// FTPD_CLOSE_GRACE_US sets a fixed grace instead, never extended nor ended early.
static uint32_t tcpPeerGrace(TCP tcp, uint8_t *extend)
{
	static int32_t forced = -2;		// -2: not read yet, -1: not set
	struct TCPInfoRecord info;
	socklen_t length = sizeof(info);
	uint32_t grace;

	if (-2 == forced) {
		const char *value = getenv("FTPD_CLOSE_GRACE_US");
		forced = (value && *value) ? (int32_t)strtol(value, NULL, 10) : -1;
		if (forced < -1)
			forced = -1;
	}
	*extend = forced < 0;
	if (forced >= 0)
		return (uint32_t)forced;
	// the minimum round trip moves slowly: asked of the kernel once every few uploads
	if (tcp->peerGrace && (tcp->peerGraceUses++ & 15))
		return tcp->peerGrace;
	c_memset(&info, 0, sizeof(info));
	if ((getsockopt(tcp->fd, IPPROTO_TCP, TCP_INFO, &info, &length) < 0) || (length < sizeof(info)))
		grace = kTCPPeerGraceDefault;
	else
		grace = kTCPPeerGraceMin + (info.minRTT / 2);
	tcp->peerGrace = (grace > kTCPPeerGraceMax) ? kTCPPeerGraceMax : grace;
	tcp->peerGraceUses = 1;
	return tcp->peerGrace;
}

// Whether the peer is on this machine (a loopback address, or the connection's own local one):
// then it competes with this server for the CPUs, and tcpPeerCalm says whether it may be
// between the closes of its two connections.
static uint8_t tcpPeerLocal(TCP tcp)
{
	if (!tcp->hasAddresses)
		return 0;
	if (127 == (ntohl(tcp->remote.sin_addr.s_addr) >> 24))
		return 1;
	return tcp->remote.sin_addr.s_addr == tcp->local.sin_addr.s_addr;
}

// Whether no task waits for a CPU now: the kernel's count of runnable tasks, every CPU's,
// this server included (/proc/loadavg's fourth field, "running/total", counted at the read)
// is at most the number of CPUs. A client dying on this machine between the closes of its two
// connections is runnable: it is then running, and closes the other within microseconds, or
// waiting for a CPU, and then counted beyond the CPUs' number, unless it waits behind this
// server on its CPU while another CPU idles, and gets the CPU back as soon as this server
// sleeps between two looks. Any doubt (the file unreadable) answers no. One pread per look;
// the file stays open.
static uint8_t tcpPeerCalm(void)
{
	static int fd = -2;
	static long processors = 0;
	char text[128], *slash, *c;
	ssize_t length;
	long running = 0, scale = 1;

	if (-2 == fd) {
		fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
		processors = sysconf(_SC_NPROCESSORS_ONLN);
	}
	if ((fd < 0) || (processors < 1))
		return 0;
	length = pread(fd, text, sizeof(text) - 1, 0);
	if (length <= 0)
		return 0;
	text[length] = 0;
	slash = strchr(text, '/');		// "0.01 0.05 0.10 1/123 4567"
	if (!slash)
		return 0;
	for (c = slash - 1; (c >= text) && (*c >= '0') && (*c <= '9'); c--, scale *= 10)
		running += (*c - '0') * scale;
	return (c < (slash - 1)) && (running <= processors);
}

// The pending waits, earliest first, behind one timerfd and one fd watch for the process,
// made at the first wait and kept: a timerfd and a watch per wait cost five more system calls
// per upload (GLib wakes its own loop through its eventfd when a watch comes and goes).
struct TCPPeerWaitRecord {
	struct TCPPeerWaitRecord	*next;
	TCP				tcp;
	xsMachine		*the;
	xsSlot			callback;
	gint64			started;		// monotonic µs, as the timerfd's CLOCK_MONOTONIC: the data connection's FIN
	gint64			due;			// of the next look
	gint64			end;			// of the grace
	uint8_t			extend;			// the grace may be extended on a busy machine (not a forced one)
	uint8_t			local;			// a peer on this machine: the grace may end early (tcpPeerCalm)
	uint8_t			calm;			// the last look found no task waiting for a CPU
	gint64			step;			// µs to the next look at the machine
};
typedef struct TCPPeerWaitRecord TCPPeerWaitRecord;
typedef struct TCPPeerWaitRecord *TCPPeerWait;

static TCPPeerWait gTCPPeerWaits = NULL;
static int gTCPPeerTimer = -1;

static gboolean tcpPeerWaited(gint fd, GIOCondition condition, gpointer data);

static void tcpPeerInsert(TCPPeerWait wait)
{
	TCPPeerWait *link = &gTCPPeerWaits;

	while (*link && ((*link)->due <= wait->due))
		link = &(*link)->next;
	wait->next = *link;
	*link = wait;
}

// Arms the timer for the earliest wait. With none left it has just fired, and a one-shot
// timer that has fired is disarmed: nothing to do.
static void tcpPeerSchedule(void)
{
	struct itimerspec when = {0};

	if (!gTCPPeerWaits)
		return;
	when.it_value.tv_sec = (time_t)(gTCPPeerWaits->due / 1000000);
	when.it_value.tv_nsec = (long)(gTCPPeerWaits->due % 1000000) * 1000;
	timerfd_settime(gTCPPeerTimer, TFD_TIMER_ABSTIME, &when, NULL);
}

gboolean tcpPeerWaited(gint fd, GIOCondition condition, gpointer data)
{
	uint64_t expirations;
	gint64 now;

	(void)condition;
	(void)data;
	if (read(fd, &expirations, sizeof(expirations)) < 0)
		;		// EAGAIN: re-armed since it fired; the times below are what count
	now = g_get_monotonic_time();
	while (gTCPPeerWaits && (gTCPPeerWaits->due <= now)) {
		TCPPeerWait wait = gTCPPeerWaits;
		xsMachine *the = wait->the;
		uint8_t open = !tcpPeerGone(wait->tcp, 1);
		gint64 late = now - wait->due;

		gTCPPeerWaits = wait->next;
		// A local peer, within the grace: two looks in a row, `step` apart, found no task
		// waiting for a CPU. A client dying between its two closes was running at the first, or
		// got the CPU back while this server slept, and its other close would have arrived by
		// the second; it is not dying. Else look again, until the grace ends.
		if (open && wait->local && (now < wait->end)) {
			uint8_t calm = tcpPeerCalm();
			if (!calm || !wait->calm) {
				wait->calm = calm;
				wait->due = ((now + wait->step) < wait->end) ? (now + wait->step) : wait->end;
				wait->step *= 2;
				tcpPeerInsert(wait);
				continue;
			}
		}
		// Woken late, by half the grace or more: the machine is so busy that a client dying
		// on it (one on loopback) may not have had the CPU to close its other socket either.
		// The grace goes on for as long again, within the bound.
		if (open && wait->extend && (now >= wait->end) && ((late * 2) >= (wait->end - wait->started)) && ((now - wait->started) < kTCPPeerGraceMax)) {
			wait->due = wait->end = now + ((late > 0) ? late : 1);
			tcpPeerInsert(wait);
			continue;
		}
		tcpRelease(wait->tcp);
		xsBeginHost(the);
			// the record goes first: the callback may confirm again, or throw
			xsResult = wait->callback;
			xsForget(wait->callback);
			c_free(wait);
			xsCallFunction1(xsResult, xsUndefined, open ? xsTrue : xsFalse);
		xsEndHost(the);
		now = g_get_monotonic_time();
	}
	tcpPeerSchedule();
	return G_SOURCE_CONTINUE;
}

// confirm(socket, callback[, elapsed]): false when the peer is known to be gone now (no
// callback follows); else true, and callback(open) is called from the loop once the grace has
// passed, with what the kernel knows then. `elapsed`: µs since the data connection's FIN,
// where the grace is timed from (closing the file and a turn of JS took that part of it).
void xs_tcppeer_confirm(xsMachine *the)
{
	TCP tcp = xsmcGetHostDataValidate(xsArg(0), (void *)&xsTCPHooks);
	TCPPeerWait wait;
	gint64 now, elapsed = 0, grace;

	if (!tcp || tcpPeerGone(tcp, 0)) {
		xsmcSetFalse(xsResult);
		return;
	}
	if (!xsmcIsCallable(xsArg(1)))
		xsTypeError("no callback");
	if (xsmcArgc > 2) {
		xsNumberValue value = xsmcToNumber(xsArg(2));
		if (value > 0)		// NaN and -1 (no FIN known): none
			elapsed = (value < kTCPPeerGraceMax) ? (gint64)value : kTCPPeerGraceMax;
	}
	if (gTCPPeerTimer < 0) {
		// a timerfd, as GLib rounds its own timeouts up to whole milliseconds
		gTCPPeerTimer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (gTCPPeerTimer < 0)
			xsUnknownError("no timer: %s", strerror(errno));
		ftpsockWatch(gTCPPeerTimer, G_IO_IN, tcpPeerWaited, NULL);
	}
	wait = c_calloc(1, sizeof(TCPPeerWaitRecord));
	if (!wait)
		xsRangeError("no memory");
	now = g_get_monotonic_time();
	grace = tcpPeerGrace(tcp, &wait->extend);
	// What passed since the FIN counts only when it is short (closing the file and a turn of JS
	// take microseconds): a check that came late by half the grace or more, as a late wakeup,
	// found a busy machine, where a dying client may have been kept from the CPU as long.
	if ((elapsed * 2) >= grace)
		elapsed = 0;
	wait->started = now - elapsed;
	wait->end = wait->started + grace;
	// at least one wait, however short: a client this server's wakeup took the CPU from gets it back
	if (wait->end <= now)
		wait->end = now + 1;
	// not with a fixed grace (FTPD_CLOSE_GRACE_US, which is never extended either)
	wait->local = wait->extend && tcpPeerLocal(tcp);
	// a local peer: the first look one turn of the loop later
	wait->step = kTCPPeerCalmStep;
	wait->due = wait->local ? (now + 1) : wait->end;
	wait->the = the;
	wait->tcp = tcp;
	tcpHold(tcp);
	wait->callback = xsArg(1);
	xsRemember(wait->callback);
	tcpPeerInsert(wait);
	if (gTCPPeerWaits == wait)
		tcpPeerSchedule();
	xsmcSetTrue(xsResult);
}
