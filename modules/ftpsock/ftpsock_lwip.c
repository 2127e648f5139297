/*
 * DataListener, DataConnection and localAddressFor on lwIP's raw API: the backend of esp32 and
 * esp (ESP8266). Same native functions, callback conventions and codes as the POSIX backend, so
 * ftpsock.js runs unchanged (contract: ftpsock.d.ts).
 *
 * To do
 *
 * - ESP8266 builds against lwIP 1.4 (Arduino core 2.3.0), ESP32 against ESP-IDF's lwIP 2.1. The
 *   LWIP_VERSION_MAJOR < 2 branches follow the 1.4 headers but only a vendor toolchain compiles
 *   them; the Linux check (tests/lwip) compiles and runs the 2.1 ones.
 * - IPv4 only, as the POSIX backend: EPSV from an IPv6 peer would need ip_addr_t of either kind
 *   for `peer` and for the dotted-quad parser.
 * - A message that cannot be posted (ESP8266 out of memory) is posted again from tcp_poll, a
 *   listener's by the poll of the connection it accepted; a listener's ENOMEM report has no
 *   connection to poll, so it is then seen only when the session's timer closes the listener.
 * - On ESP32 a full XS message queue blocks the tcpip task inside modMessagePostToMachine, as for
 *   every SDK socket module; at most one message per record is in flight.
 * - ESP8266: the server closes first after RETR, so each download leaves a TIME_WAIT pcb on the
 *   heap (MEMP_MEM_MALLOC) for 2 MSL. The SDK's sockets reset instead of closing there; this
 *   backend keeps FIN, which clients need to see a complete file. Measure the heap after many
 *   small downloads on a device.
 *
 * Design
 *
 * - Two contexts. On ESP32 lwIP runs in its own task and its raw API may only be used there (or
 *   under its core lock). Every lwIP call here goes through lwipRun(): tcpip_api_call() when lwIP
 *   has an OS (NO_SYS == 0: ESP32, and the Linux check), a plain call under NO_SYS (ESP8266, where
 *   lwIP callbacks and XS take turns on one thread). The XS thread waits while lwipRun() runs.
 * - lwIP callbacks only record (bytes acknowledged, received pbufs, FIN, error) and post one
 *   message to the XS machine. JS, the volume and the timer are used on the XS thread only.
 * - So every field is "lwIP side" (touched in lwIP context only: callbacks and lwipRun bodies)
 *   or "XS side" (touched on the XS thread, and by lwipRun bodies, which it waits for). Neither
 *   needs a lock. The XS side reads lwIP-side state through the `seen*` copies lwipRun makes.
 * - Lifetime. A record has up to three owners, all lwIP side: an XS object (its DataConnection,
 *   or the DataListener holding what it accepted), its pcb (lwIP's callbacks carry the record)
 *   and a posted message. The last to go frees it, in whichever context that happens. So a
 *   DataConnection collected while its last bytes drain leaves the record to lwIP, and a message
 *   delivered after the destructor still finds the record.
 * - sendFile. One buffer of MODDEF_FTPSOCK_BUFFER bytes per transfer: volumeRead() fills it,
 *   tcp_write() copies from it (TCP_WRITE_FLAG_COPY) never more than tcp_sndbuf() allows, the
 *   rest waits for tcp_sent to report room, and it is refilled once the stack holds all of it.
 *   The stack's send buffer and the peer's window are the flow control: what is read from flash
 *   runs at most one buffer ahead of what the stack holds. Copying is not a choice: ESP-IDF and
 *   the ESP8266 core build lwIP with LWIP_NETIF_TX_SINGLE_PBUF, under which tcp_write() copies
 *   whatever the flag says (Debian's build too). A zero-copy ring would hold the window's bytes
 *   a second time; this buffer can be small and is reused as soon as tcp_write() returns. The
 *   promise resolves once the stack holds every byte, as on POSIX.
 * - send() (listings) goes the same way from a copy of its bytes.
 * - A transfer that fails or is aborted resets the connection (tcp_abort): the peer learns at
 *   once that the data is incomplete, and what was queued for it is freed at once.
 * - receiveFile. tcp_recv() keeps the pbuf chain; the XS thread writes each pbuf straight to the
 *   file with volumeWrite(), then frees the chain and calls tcp_recved(): the window reopens only
 *   for bytes already on flash, so a slow flash holds the sender back and no more than one TCP
 *   window is ever held here.
 * - close() drains: tcp_close() once tcp_sndqueuelen() is 0 (checked by tcp_sent and tcp_poll), so
 *   FIN follows the last byte, the record stays attached to see a reset meanwhile, and a peer that
 *   acknowledges nothing for kDrainPolls poll rounds is reset instead of being retried for minutes.
 * - Idle timeout: a repeating modTimer, re-armed on progress; when it fires, nothing moved for
 *   a whole period.
 */
#include "ftpsock_lwip.h"

const xsHostHooks ICACHE_RODATA_ATTR xsFtpSockConnectionHooks = {
	xs_ftpsock_connection_destructor,
	xs_ftpsock_connection_mark,
	NULL
};

const xsHostHooks ICACHE_RODATA_ATTR xsFtpSockListenerHooks = {
	xs_ftpsock_listener_destructor,
	xs_ftpsock_listener_mark,
	NULL
};

const char kSettled[] = "";

/*
	XS side
*/

// The contract's code for an lwIP error: what the FTP layer tells apart (ECONNRESET: 426,
// ETIMEDOUT, EREFUSED: 425), else a name for the log.
const char *errorName(err_t error, uint8_t connecting)
{
	switch (error) {
		case ERR_RST:
			return connecting ? "EREFUSED" : "ECONNRESET";
		case ERR_ABRT:		// lwIP gave up retransmitting (or a SYN went unanswered)
			return connecting ? "ETIMEDOUT" : "ECONNRESET";
		case ERR_CLSD:
		case ERR_CONN:
			return "ECONNRESET";
		case ERR_TIMEOUT:
			return "ETIMEDOUT";
		case ERR_MEM:
		case ERR_BUF:
			return "ENOMEM";
		case ERR_RTE:
			return "ENETUNREACH";
		case ERR_USE:
			return "EADDRINUSE";
		case ERR_ISCONN:
			return "EISCONN";
		case ERR_VAL:
		case ERR_ARG:
			return "EINVAL";
	}
	return "EIO";
}

// A dotted quad as inet_pton() takes it: four decimal bytes, no leading zeros.
static int parseDottedQuad(const char *text, ip_addr_t *address)
{
	uint32_t part[4];
	int i, digits;

	for (i = 0; i < 4; i++) {
		part[i] = 0;
		for (digits = 0; ('0' <= *text) && (*text <= '9'); digits++, text++) {
			if (digits && !part[i])
				return 0;
			part[i] = (part[i] * 10) + (uint32_t)(*text - '0');
			if (part[i] > 255)
				return 0;
		}
		if (!digits)
			return 0;
		if (*text++ != ((i < 3) ? '.' : 0))
			return 0;
	}
	IP_ADDR4(address, part[0], part[1], part[2], part[3]);
	return 1;
}

void parseAddress(xsMachine *the, xsSlot *slot, ip_addr_t *address)
{
	if ((xsStringType != xsmcTypeOf(*slot)) || !parseDottedQuad(xsmcToString(*slot), address))
		xsRangeError("invalid IPv4 address");
}

int parsePort(xsMachine *the, xsSlot *slot)
{
	int port = xsmcToInteger(*slot);

	if ((port < 0) || (port > 65535))
		xsRangeError("invalid port");
	return port;
}

// (listener): takes the connection the DataListener accepted.
// (address, port, callback): active mode; callback(code) once connected (code undefined) or
// not. Returns the code of a failure known at once; the JS face reports it asynchronously.
void xs_ftpsock_connection(xsMachine *the)
{
	xsFtpSockConnection connection;
	ConnectionStepRecord step;
	ip_addr_t remote;
	int port;

	if (xsStringType != xsmcTypeOf(xsArg(0))) {
		connection = listenerTake(the, &xsArg(0));
		if (!connection)
			xsUnknownError("no accepted connection");
		connection->obj = xsThis;
		connection->state = kStateIdle;
		connection->counted = 1;
		modInstrumentationAdjust(NetworkSockets, +1);
		xsmcSetHostData(xsThis, connection);
		xsSetHostHooks(xsThis, (xsHostHooks *)&xsFtpSockConnectionHooks);
		return;
	}

	parseAddress(the, &xsArg(0), &remote);
	port = parsePort(the, &xsArg(1));
	if (!xsmcIsCallable(xsArg(2)))
		xsTypeError("no callback");
	connection = c_calloc(1, sizeof(xsFtpSockConnectionRecord));
	if (!connection)
		xsUnknownError("no memory");
	connection->the = the;
	connection->obj = xsThis;
	connection->state = kStateClosed;
	connection->owned = 1;
	connection->remote = remote;
	connection->remotePort = (uint16_t)port;
	xsmcSetHostData(xsThis, connection);
	xsSetHostHooks(xsThis, (xsHostHooks *)&xsFtpSockConnectionHooks);

	c_memset(&step, 0, sizeof(step));
	step.connection = connection;
	lwipRun(connectionConnectInLwip, &step);
	if (ERR_OK != step.error) {
		xsmcSetString(xsResult, (char *)errorName(step.error, 1));
		return;
	}
	connection->counted = 1;
	modInstrumentationAdjust(NetworkSockets, +1);
	connectionBegin(the, connection, kStateConnecting, NULL, &xsArg(2));
}

void xs_ftpsock_connection_destructor(void *data)
{
	xsFtpSockConnection connection = data;

	if (!connection)
		return;
	if (connection->timer) {
		modTimerRemove(connection->timer);
		connection->timer = NULL;
	}
	if (connection->file) {
		volumeClose(connection->file);		// nobody waits for this transfer any more: its result has no reader
		connection->file = NULL;
	}
	if (kStateIdle == connection->state)
		lwipRun(connectionCloseInLwip, connection);
	else if (kStateClosed != connection->state)		// closed: a draining close goes on without it
		lwipRun(connectionAbortInLwip, connection);		// a transfer cut short (the machine ends)
	if (connection->buffer) {
		c_free(connection->buffer);
		connection->buffer = NULL;
	}
	connectionUncount(connection);
	connection->state = kStateClosed;
	lwipRun(connectionDisownInLwip, connection);		// may free the record
}

void xs_ftpsock_connection_mark(xsMachine *the, void *it, xsMarkRoot markRoot)
{
	xsFtpSockConnection connection = it;

	if (connection->callback)
		(*markRoot)(the, connection->callback);
}

// (path, offset, idleTimeout, callback): undefined, or the code of why the file did not open.
void xs_ftpsock_connection_send_file(xsMachine *the)
{
	xsFtpSockConnection connection = connectionReady(the, &xsArg(3));
	int error = 0;
	VolumeFile file;

	file = volumeOpenRead(xsmcToString(xsArg(0)), (uint32_t)xsmcToInteger(xsArg(1)), &error);
	if (!file) {
		xsmcSetString(xsResult, (char *)volumeErrorName(error));
		return;
	}
	connection->buffer = c_malloc(MODDEF_FTPSOCK_BUFFER);
	if (!connection->buffer) {
		volumeClose(file);		// only read: nothing to commit
		xsmcSetString(xsResult, (char *)volumeErrorName(VOLUME_ENOMEM));
		return;
	}
	connection->file = file;
	connection->bufferSize = MODDEF_FTPSOCK_BUFFER;
	connection->offset = connection->length = 0;
	connection->eof = 0;
	connectionBegin(the, connection, kStateSendFile, &xsArg(2), &xsArg(3));
}

// (path, mode, offset, idleTimeout, callback): undefined, or the code of why the file did not open.
void xs_ftpsock_connection_receive_file(xsMachine *the)
{
	xsFtpSockConnection connection = connectionReady(the, &xsArg(4));
	const char *mode = xsmcToString(xsArg(1));
	int append, error = 0;
	VolumeFile file;

	if (!c_strcmp(mode, "w"))
		append = 0;
	else if (!c_strcmp(mode, "a"))
		append = 1;
	else
		xsRangeError("invalid mode");
	file = volumeOpenWrite(xsmcToString(xsArg(0)), append, (uint32_t)xsmcToInteger(xsArg(2)), &error);
	if (!file) {
		xsmcSetString(xsResult, (char *)volumeErrorName(error));
		return;
	}
	connection->file = file;		// no buffer: the received pbufs are written as they are
	connectionBegin(the, connection, kStateReceiveFile, &xsArg(3), &xsArg(4));
}

// (data, callback): the bytes of an ArrayBuffer (or view), or a string's UTF-8, copied once.
void xs_ftpsock_connection_send(xsMachine *the)
{
	xsFtpSockConnection connection = connectionReady(the, &xsArg(1));
	void *data;
	xsUnsignedValue length;

	if (xsStringType == xsmcTypeOf(xsArg(0))) {
		data = xsmcToString(xsArg(0));
		length = (xsUnsignedValue)c_strlen(data);
	}
	else
		xsmcGetBufferReadable(xsArg(0), &data, &length);
	if (length) {
		connection->buffer = c_malloc(length);
		if (!connection->buffer) {
			xsmcSetString(xsResult, (char *)volumeErrorName(VOLUME_ENOMEM));
			return;
		}
		c_memcpy(connection->buffer, data, length);
	}
	connection->bufferSize = connection->length = length;
	connection->offset = 0;
	connectionBegin(the, connection, kStateSendBytes, NULL, &xsArg(1));
}

// Ends the pending transfer with EABORTED and resets the connection: lwIP drops what is queued
// at once (a pending connect: onError("EABORTED")). true when an operation was pending; false
// when there was none, also when the last one settled and JS has not yet seen its promise
// settle: the caller then knows nothing was interrupted.
void xs_ftpsock_connection_abort(xsMachine *the)
{
	xsFtpSockConnection connection = connectionGet(the);

	if (!connection || (kStateIdle == connection->state) || (kStateClosed == connection->state)) {
		xsmcSetFalse(xsResult);
		return;
	}
	connectionFinish(the, connection, "EABORTED");
	xsmcSetTrue(xsResult);
}

// A pending transfer rejects with EABORTED; a pending connect is dropped without a callback
// (its owner is the one closing). What was queued is still delivered, then FIN.
void xs_ftpsock_connection_close(xsMachine *the)
{
	xsFtpSockConnection connection = connectionGet(the);
	uint8_t state;

	if (!connection || (kStateClosed == connection->state))
		return;
	state = connection->state;
	if (kStateConnecting == state) {
		connection->callback = NULL;
		connectionReset(connection);		// nothing to deliver: no handshake to finish
		connectionSettle(the, connection, state, "EABORTED");
		return;
	}
	if (connection->buffer) {
		c_free(connection->buffer);		// what the stack holds it copied
		connection->buffer = NULL;
	}
	lwipRun(connectionCloseInLwip, connection);
	connectionUncount(connection);
	connection->state = kStateClosed;
	if (kStateIdle != state)
		connectionSettle(the, connection, state, "EABORTED");
}

void xs_ftpsock_connection_get_remoteAddress(xsMachine *the)
{
	xsFtpSockConnection connection = connectionGet(the);
	char text[48];

	if (connection && ipaddr_ntoa_r(&connection->remote, text, sizeof(text)))
		xsmcSetString(xsResult, text);
}

void xs_ftpsock_connection_get_remotePort(xsMachine *the)
{
	xsFtpSockConnection connection = connectionGet(the);

	if (connection)
		xsmcSetInteger(xsResult, connection->remotePort);
}

void xs_ftpsock_connection_get_bytes(xsMachine *the)
{
	xsFtpSockConnection connection = connectionGet(the);

	xsmcSetNumber(xsResult, connection ? (xsNumberValue)connection->bytes : 0);
}

xsFtpSockConnection connectionGet(xsMachine *the)
{
	return xsmcGetHostDataValidate(xsThis, (void *)&xsFtpSockConnectionHooks);
}

// The connection, ready for a transfer: one at a time, as FTP's data connection does.
// Checked before anything is opened, so that a throw leaves nothing behind.
xsFtpSockConnection connectionReady(xsMachine *the, xsSlot *callback)
{
	xsFtpSockConnection connection = connectionGet(the);

	if (!xsmcIsCallable(*callback))
		xsTypeError("no callback");
	if (!connection || (kStateClosed == connection->state))
		xsUnknownError("closed");
	if (kStateIdle != connection->state)
		xsUnknownError("busy");
	return connection;
}

// The first pump runs from a message, never inside this call: a callback must not run before
// the native function returns (DataConnection.connect has not even returned its object then).
void connectionBegin(xsMachine *the, xsFtpSockConnection connection, uint8_t state, xsSlot *idleTimeout, xsSlot *callback)
{
	xsNumberValue milliseconds = idleTimeout ? xsmcToNumber(*idleTimeout) : 0;

	connection->callback = xsmcToReference(*callback);
	connection->state = state;
	connection->bytes = 0;
	connection->startCode = NULL;
	connection->writeCode = NULL;
	connection->idleTimeout = 0;
	if (milliseconds > 0) {
		connection->idleTimeout = (milliseconds < 0x7FFFFFFF) ? (uint32_t)milliseconds : 0x7FFFFFFF;
		connection->timer = modTimerAdd((int)connection->idleTimeout, (int)connection->idleTimeout, connectionOnTimer, &connection, sizeof(connection));
		if (!connection->timer)
			connection->startCode = "ENOMEM";
	}
	if (!connection->remembered) {
		xsRemember(connection->obj);
		connection->remembered = 1;
	}
	lwipRun(connectionKickInLwip, connection);
}

// A failed transfer (or connect) resets the connection: the peer learns at once that the data
// is incomplete.
void connectionFinish(xsMachine *the, xsFtpSockConnection connection, const char *code)
{
	uint8_t state = connection->state;

	if (code)
		connectionReset(connection);
	else if (connection->buffer) {
		c_free(connection->buffer);
		connection->buffer = NULL;
	}
	connectionSettle(the, connection, state, code);
}

// Ends the pending operation, then calls its callback: last, since the callback may start the
// next operation or close. `state` is the operation's, for the callback's arguments. The caller
// has a host context.
void connectionSettle(xsMachine *the, xsFtpSockConnection connection, uint8_t state, const char *code)
{
	xsSlot *callback = connection->callback;
	int32_t result;

	if (connection->file) {
		result = volumeClose(connection->file);
		connection->file = NULL;
		// A failed commit loses an upload that looked complete: it fails the transfer. After
		// another failure (or an abort) the caller deletes the partial file, whatever its state.
		if (!code && (result < 0))
			code = volumeErrorName(result);
	}
	if (connection->timer) {
		modTimerRemove(connection->timer);
		connection->timer = NULL;
	}
	connection->callback = NULL;
	if (kStateClosed != connection->state)
		connection->state = kStateIdle;
	if (connection->remembered) {
		connection->remembered = 0;
		xsForget(connection->obj);
	}
	if (!callback)
		return;
	// The DataConnection is `this` of the call, on the stack: no longer remembered, it still
	// outlives the callback. Nothing allocates between xsForget and this push.
	if (kStateConnecting == state) {
		if (code)
			xsCallFunction1(xsReference(callback), connection->obj, xsString((char *)code));
		else
			xsCallFunction0(xsReference(callback), connection->obj);
	}
	else if (code)
		xsCallFunction2(xsReference(callback), connection->obj, xsString((char *)code), xsNumber((xsNumberValue)connection->bytes));
	else
		xsCallFunction2(xsReference(callback), connection->obj, xsUndefined, xsNumber((xsNumberValue)connection->bytes));
}

// Resets the pcb (if any is left) and frees the buffer: the connection is closed.
void connectionReset(xsFtpSockConnection connection)
{
	lwipRun(connectionAbortInLwip, connection);
	if (connection->buffer) {
		c_free(connection->buffer);
		connection->buffer = NULL;
	}
	connectionUncount(connection);
	connection->state = kStateClosed;
}

void connectionUncount(xsFtpSockConnection connection)
{
	if (connection->counted) {
		connection->counted = 0;
		modInstrumentationAdjust(NetworkSockets, -1);
	}
}

void connectionProgress(xsFtpSockConnection connection)
{
	if (connection->timer)
		modTimerReschedule(connection->timer, (int)connection->idleTimeout, (int)connection->idleTimeout);
}

void connectionDeliver(void *context, void *refcon, uint8_t *message, uint16_t messageLength)
{
	xsMachine *the = context;
	xsFtpSockConnection connection = refcon;
	ConnectionStepRecord step;
	const char *code;

	(void)message;
	(void)messageLength;
	c_memset(&step, 0, sizeof(step));
	step.connection = connection;
	lwipRun(connectionCollectInLwip, &step);
	if (step.freed)
		return;
	switch (connection->state) {
		case kStateConnecting:
			code = pumpConnect(connection);
			break;
		case kStateSendFile:
			code = pumpSendFile(connection);
			break;
		case kStateSendBytes:
			code = pumpSendBytes(connection);
			break;
		case kStateReceiveFile:
			code = pumpReceiveFile(connection);
			break;
		default:
			return;		// idle or closed: what lwIP recorded waits for the next operation
	}
	if (code) {
		xsBeginHost(the);
		{
			connectionFinish(the, connection, (kSettled == code) ? NULL : code);
		}
		xsEndHost(the);
	}
}

// Fires only when a whole period passed without progress (progress re-arms it).
void connectionOnTimer(modTimer timer, void *refcon, int refconSize)
{
	xsFtpSockConnection connection;
	xsMachine *the;

	(void)timer;
	(void)refconSize;
	c_memcpy(&connection, refcon, sizeof(connection));		// the timer keeps a copy, maybe unaligned
	the = connection->the;
	xsBeginHost(the);
	{
		connectionFinish(the, connection, "ETIMEDOUT");
	}
	xsEndHost(the);
}

const char *pumpConnect(xsFtpSockConnection connection)
{
	if (connection->startCode)
		return connection->startCode;
	if (connection->seenEvents & kEventConnected)
		return kSettled;
	if (connection->seenEvents & kEventError)
		return errorName(connection->seenError, 1);
	return NULL;
}
