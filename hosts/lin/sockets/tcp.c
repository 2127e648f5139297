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

#include "tcp.h"

const xsHostHooks xsTCPHooks = {
	xs_lin_tcp_destructor,
	xs_lin_tcp_mark,
	NULL
};

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
			// the room is told below: tcpWatch must not schedule a delivery to announce it
			tcp->announced = tcpOutputFree(tcp);
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
