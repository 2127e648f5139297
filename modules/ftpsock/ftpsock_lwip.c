/*
 * DataListener, DataConnection and localAddressFor on lwIP's raw API: the backend of esp32 and
 * esp (ESP8266), under the same binding as the POSIX backend (ftpsock_binding.c, over
 * ftpsock_backend.h), so ftpsock.js runs unchanged (contract: ftpsock.d.ts). This file is the
 * DataConnection's XS side; ftpsock_lwip.h lists the others.
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
 * - sendListing goes the same way, the buffer filled by the listing (ftpsock_listing.c) instead
 *   of volumeRead(); send() (a file's one LIST line) from a copy of its bytes.
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
void ftpsockAddressToLwip(FtpSockAddress address, ip_addr_t *ip)
{
	IP_ADDR4(ip, address.byte[0], address.byte[1], address.byte[2], address.byte[3]);
}

FtpSockConnection ftpsockConnectionCreate(void)
{
	xsFtpSockConnection connection = c_calloc(1, sizeof(xsFtpSockConnectionRecord));

	if (connection)
		connection->owned = 1;
	return connection;
}

const char *ftpsockConnectionConnect(FtpSockConnection connection, FtpSockAddress address, int port)
{
	ConnectionStepRecord step;

	ftpsockAddressToLwip(address, &connection->remote);
	connection->remotePort = (uint16_t)port;
	c_memset(&step, 0, sizeof(step));
	step.connection = connection;
	lwipRun(connectionConnectInLwip, &step);
	if (ERR_OK != step.error)
		return errorName(step.error, 1);
	connection->counted = 1;
	modInstrumentationAdjust(NetworkSockets, +1);
	return NULL;
}

void ftpsockConnectionDestroy(FtpSockConnection connection)
{
	if (connection->timer) {
		modTimerRemove(connection->timer);
		connection->timer = NULL;
	}
	if (connection->base.file) {
		volumeClose(connection->base.file);		// nobody waits for this transfer any more: its result has no reader
		connection->base.file = NULL;
	}
	if (kStateIdle == connection->base.state)
		lwipRun(connectionCloseInLwip, connection);
	else if (kStateClosed != connection->base.state)		// closed: a draining close goes on without it
		lwipRun(connectionAbortInLwip, connection);		// a transfer cut short (the machine ends)
	if (connection->base.buffer) {
		c_free(connection->base.buffer);
		connection->base.buffer = NULL;
	}
	connectionUncount(connection);
	connection->base.state = kStateClosed;
	lwipRun(connectionDisownInLwip, connection);		// may free the record
}

int32_t ftpsockConnectionPrepareSend(FtpSockConnection connection)
{
	connection->base.buffer = c_malloc(MODDEF_FTPSOCK_BUFFER);
	if (!connection->base.buffer)
		return VOLUME_ENOMEM;
	connection->base.bufferSize = MODDEF_FTPSOCK_BUFFER;
	connection->base.length = 0;
	connection->eof = 0;
	return VOLUME_OK;
}

// No buffer: the received pbufs are written as they are.
int32_t ftpsockConnectionPrepareReceive(FtpSockConnection connection)
{
	connection->ended = 0;
	return VOLUME_OK;
}

// The first pump runs from a message, never inside this call: a callback must not run before
// the native function returns (DataConnection.connect has not even returned its object then).
void ftpsockConnectionStart(FtpSockConnection connection, xsNumberValue milliseconds)
{
	connection->startCode = NULL;
	connection->writeCode = NULL;
	connection->idleTimeout = 0;
	if (milliseconds > 0) {
		connection->idleTimeout = (milliseconds < 0x7FFFFFFF) ? (uint32_t)milliseconds : 0x7FFFFFFF;
		connection->timer = modTimerAdd((int)connection->idleTimeout, (int)connection->idleTimeout, connectionOnTimer, &connection, sizeof(connection));
		if (!connection->timer)
			connection->startCode = "ENOMEM";
	}
	lwipRun(connectionKickInLwip, connection);
}

void ftpsockConnectionEnd(FtpSockConnection connection, uint8_t state, const char *code)
{
	(void)state;
	(void)code;
	if (connection->timer) {
		modTimerRemove(connection->timer);
		connection->timer = NULL;
	}
}

// lwIP copies what it sends (LWIP_NETIF_TX_SINGLE_PBUF): a file's bytes are never lent.
int ftpsockConnectionKeepsFile(FtpSockConnection connection, VolumeFile file)
{
	(void)connection;
	(void)file;
	return 0;
}

void ftpsockConnectionFinish(xsMachine *the, FtpSockConnection connection, const char *code)
{
	connectionFinish(the, connection, code);
}

// What was queued is still delivered, then FIN.
void ftpsockConnectionClose(xsMachine *the, FtpSockConnection connection)
{
	uint8_t state = connection->base.state;

	if (kStateConnecting == state) {
		connection->base.callback = NULL;
		connectionReset(connection);		// nothing to deliver: no handshake to finish
		ftpsockConnectionSettle(the, connection, state, "EABORTED");
		return;
	}
	if (connection->base.buffer) {
		c_free(connection->base.buffer);		// what the stack holds it copied
		connection->base.buffer = NULL;
	}
	lwipRun(connectionCloseInLwip, connection);
	connectionUncount(connection);
	connection->base.state = kStateClosed;
	if (kStateIdle != state)
		ftpsockConnectionSettle(the, connection, state, "EABORTED");
}

int ftpsockConnectionRemoteAddress(FtpSockConnection connection, char *text)
{
	return NULL != ipaddr_ntoa_r(&connection->remote, text, 48);
}

uint16_t ftpsockConnectionRemotePort(FtpSockConnection connection)
{
	return connection->remotePort;
}

// The clock counts whole milliseconds: one less than it counts has passed at least.
xsNumberValue ftpsockConnectionSinceEnd(FtpSockConnection connection)
{
	uint32_t elapsed;

	if (!connection->ended)
		return -1;
	elapsed = modMilliseconds() - connection->seenFinAt;
	return elapsed ? ((xsNumberValue)(elapsed - 1) * 1000) : 0;
}

// A failed transfer (or connect, or abort()) resets the connection: the peer learns at once
// that the data is incomplete.
void connectionFinish(xsMachine *the, xsFtpSockConnection connection, const char *code)
{
	uint8_t state = connection->base.state;

	if (code)
		connectionReset(connection);
	else if (connection->base.buffer) {
		c_free(connection->base.buffer);
		connection->base.buffer = NULL;
	}
	ftpsockConnectionSettle(the, connection, state, code);
}

void connectionReset(xsFtpSockConnection connection)
{
	lwipRun(connectionAbortInLwip, connection);
	if (connection->base.buffer) {
		c_free(connection->base.buffer);
		connection->base.buffer = NULL;
	}
	connectionUncount(connection);
	connection->base.state = kStateClosed;
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
	xsFtpSockConnection connection = refcon;
	ConnectionStepRecord step;

	(void)context;
	(void)message;
	(void)messageLength;
	c_memset(&step, 0, sizeof(step));
	step.connection = connection;
	lwipRun(connectionCollectInLwip, &step);
	if (!step.freed)
		ftpsockConnectionPump(connection);
}

// Fires only when a whole period passed without progress (progress re-arms it).
void connectionOnTimer(modTimer timer, void *refcon, int refconSize)
{
	xsFtpSockConnection connection;

	(void)timer;
	(void)refconSize;
	c_memcpy(&connection, refcon, sizeof(connection));		// the timer keeps a copy, maybe unaligned
	ftpsockConnectionFinishInHost(connection, "ETIMEDOUT");
}

const char *ftpsockPumpConnect(xsFtpSockConnection connection)
{
	if (connection->startCode)
		return connection->startCode;
	if (connection->seenEvents & kEventConnected)
		return kSettled;
	if (connection->seenEvents & kEventError)
		return errorName(connection->seenError, 1);
	return NULL;
}
