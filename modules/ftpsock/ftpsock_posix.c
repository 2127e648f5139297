/*
 * DataConnection on POSIX sockets driven by the GLib main loop of the Linux host.
 *
 * To do / design
 *
 * - Zero copy through JS. File bytes go volume → socket and socket → volume in native code;
 *   JS sees a completion callback per operation and reads `bytes` from this record. On the
 *   devices the XS heap is a few tens of KiB shared by every session: an ArrayBuffer per
 *   chunk would fragment it and make the collector run per chunk, which costs more time
 *   than the copy itself. Only `send()` copies from JS, once (a file's one LIST line); a
 *   folder's listing is formatted natively into the buffer (ftpsock_listing.c).
 * - Memory. A transfer allocates one buffer (MODDEF_FTPSOCK_BUFFER) when it starts and frees
 *   it when it settles; no allocation per chunk. A POSIX volume file (volumeDescriptor() >= 0)
 *   needs none: sendfile(2) moves pages from the page cache to the socket in the kernel.
 * - One copy from a LittleFS image. A download gathers the file's runs in the image's mapping
 *   (volumeReadInPlace: a run per 4 KiB block, after its skip-list pointers) into an iovec
 *   array (kRunsPerSend entries, 1 KiB, instead of the buffer) and sendmsg()s them: the kernel
 *   copies the bytes from the page cache into the socket once, where reading into the buffer
 *   first cost LittleFS's copy and then send()'s. Unsent runs wait for the next wakeup, which
 *   first asks the volume whether they are still readable (an unmount or a truncated image
 *   fails the transfer; a page truncated away fails sendmsg with EFAULT, reported as EIO).
 *   Files without runs (inline in LittleFS's metadata) go through the buffer.
 * - Flow control. Level-triggered fd watches: a send waits for writability and hands the
 *   kernel as much as it takes; a receive reads only after the previous chunk is in the
 *   file (volume writes are synchronous), so a slow volume fills the socket buffer and the
 *   TCP window closes: the peer is slowed, nothing piles up here. Each wakeup does a bounded
 *   amount of work so that one fast transfer does not starve the other sessions.
 * - Idle timeout. One ready-time GSource per transfer, re-armed lazily: progress only stores
 *   a timestamp; when the source fires early it moves its deadline and sleeps again.
 * - Lifetime. The DataConnection is remembered while an operation is pending, so the
 *   callback that settles its promise is delivered; otherwise an abandoned connection is
 *   collected and the destructor closes the socket and the file.
 * - SIGPIPE. sendfile(2) has no MSG_NOSIGNAL; the Linux host ignores SIGPIPE (hosts/lin/main.c)
 *   so a peer reset shows up as EPIPE, reported as ECONNRESET.
 * - The lwIP backend (esp32, esp) is ftpsock_lwip.c, behind the same JS face. Both device
 *   lwIP configurations set LWIP_NETIF_TX_SINGLE_PBUF, under which tcp_write() always copies,
 *   so it sends from one small buffer refilled as tcp_sent() frees room, and acknowledges
 *   received pbufs (tcp_recved) only once they are written to flash.
 */
#include "xsmc.h"
#include "mc.xs.h"
#include "mc.defines.h"

#include "../volume/volume.h"
#include "ftpsock_posix.h"
#include "ftpsock_listing.h"

#include <glib-unix.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#ifndef MODDEF_FTPSOCK_BUFFER
	#define MODDEF_FTPSOCK_BUFFER (16384)
#endif
// Work per wakeup: 8 × the buffer (64 KiB on Linux, see manifest.json), or 8 × 256 KiB by
// sendfile (the kernel takes no more than the socket's send buffer anyway).
#define kRoundsPerWakeup (8)
#define kSendfileChunk (256 * 1024)
// In place: up to kRunsPerSend runs, at most kSendfileChunk bytes, per sendmsg.
#define kRunsPerSend (64)

enum {
	kStateIdle = 0,
	kStateConnecting,
	kStateSendFile,
	kStateSendBytes,
	kStateReceiveFile,
	kStateClosed
};

typedef struct xsFtpSockConnectionRecord xsFtpSockConnectionRecord;
typedef xsFtpSockConnectionRecord *xsFtpSockConnection;

struct xsFtpSockConnectionRecord {
	xsMachine *the;
	xsSlot obj;					// the DataConnection; remembered while an operation is pending
	xsSlot *callback;			// of the pending operation; marked by the host hooks
	int fd;
	guint watch;
	GSource *timer;				// idle timeout of the pending transfer
	gint64 idleTimeout;			// µs; 0 = none
	gint64 progress;			// monotonic µs of the last byte moved
	struct sockaddr_in remote;
	VolumeFile file;
	FtpListing listing;			// sendListing: read like a file, through `buffer`
	int fileDescriptor;			// for sendfile(2); -1: through `buffer`
	uint8_t *buffer;
	uint32_t bufferSize;
	uint32_t offset;			// next byte of `buffer` to send
	uint32_t length;			// bytes in `buffer`
	struct iovec *runs;			// in place: the file's runs not yet sent, from runs[run]
	uint16_t run;
	uint16_t runCount;
	uint64_t bytes;
	uint8_t state;
	uint8_t remembered;
};

void xs_ftpsock_connection_destructor(void *data);
static void xs_ftpsock_connection_mark(xsMachine *the, void *it, xsMarkRoot markRoot);

static const xsHostHooks xsFtpSockConnectionHooks = {
	xs_ftpsock_connection_destructor,
	xs_ftpsock_connection_mark,
	NULL
};

// A pump's verdict besides an error code: NULL goes on waiting, kSettled succeeded.
static const char kSettled[] = "";

static xsFtpSockConnection connectionGet(xsMachine *the);
static xsFtpSockConnection connectionReady(xsMachine *the, xsSlot *callback);
static void connectionBegin(xsMachine *the, xsFtpSockConnection connection, uint8_t state, GIOCondition condition, xsSlot *idleTimeout, xsSlot *callback);
static void connectionSettle(xsMachine *the, xsFtpSockConnection connection, const char *code);
static void connectionRelease(xsFtpSockConnection connection);
static void connectionShutdown(xsFtpSockConnection connection);
static gboolean connectionOnSocket(gint fd, GIOCondition condition, gpointer data);
static gboolean connectionOnTimer(gpointer data);
static const char *pumpConnect(xsFtpSockConnection connection);
static const char *pumpSendFile(xsFtpSockConnection connection);
static const char *pumpSendBuffer(xsFtpSockConnection connection);
static const char *pumpSendInPlace(xsFtpSockConnection connection);
static const char *pumpReceiveFile(xsFtpSockConnection connection);

static gboolean timerDispatch(GSource *source, GSourceFunc callback, gpointer data)
{
	(void)source;
	return callback(data);
}

// No prepare or check: the source is ready only by its ready time (g_source_set_ready_time).
static GSourceFuncs gTimerFuncs = { NULL, NULL, timerDispatch, NULL, NULL, NULL };

// (listener): takes the connection the DataListener accepted.
// (address, port, callback): active mode; callback(code) once connected (code undefined) or
// not. Returns the code of a failure known at once; the JS face reports it asynchronously.
void xs_ftpsock_connection(xsMachine *the)
{
	xsFtpSockConnection connection;
	int fd, zero = 0, error;

	connection = c_calloc(1, sizeof(xsFtpSockConnectionRecord));
	if (!connection)
		xsUnknownError("no memory");
	connection->fd = -1;
	connection->fileDescriptor = -1;
	connection->the = the;
	connection->obj = xsThis;
	connection->state = kStateClosed;
	xsmcSetHostData(xsThis, connection);
	xsSetHostHooks(xsThis, (xsHostHooks *)&xsFtpSockConnectionHooks);

	if (xsStringType != xsmcTypeOf(xsArg(0))) {
		fd = ftpsockListenerTake(the, &xsArg(0), &connection->remote);
		if (fd < 0)
			xsUnknownError("no accepted connection");
		connection->fd = fd;
		connection->state = kStateIdle;
	}
	else {
		connection->remote.sin_family = AF_INET;
		connection->remote.sin_addr = ftpsockParseAddress(the, &xsArg(0));
		connection->remote.sin_port = htons(ftpsockParsePort(the, &xsArg(1)));
		if (!xsmcIsCallable(xsArg(2)))
			xsTypeError("no callback");
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			xsmcSetString(xsResult, (char *)ftpsockErrorName(errno));
			return;
		}
		connection->fd = fd;
		if ((connect(fd, (struct sockaddr *)&connection->remote, sizeof(connection->remote)) < 0) && (EINPROGRESS != errno)) {
			error = errno;
			close(fd);
			connection->fd = -1;
			xsmcSetString(xsResult, (char *)ftpsockErrorName(error));
			return;
		}
		// Completion shows as writability (or HUP/ERR, always reported), then SO_ERROR tells.
		connectionBegin(the, connection, kStateConnecting, G_IO_OUT, NULL, &xsArg(2));
	}
	// Nagle stays on (the default, said here because it matters): data goes in full
	// segments; the last, short one leaves at shutdown().
	setsockopt(connection->fd, IPPROTO_TCP, TCP_NODELAY, &zero, sizeof(zero));
}

void xs_ftpsock_connection_destructor(void *data)
{
	xsFtpSockConnection connection = data;

	if (!connection)
		return;
	connectionRelease(connection);
	if (connection->file)
		volumeClose(connection->file);		// nobody waits for this transfer any more: its result has no reader
	if (connection->fd >= 0)
		close(connection->fd);
	c_free(connection);
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
	connection->file = file;
	connection->fileDescriptor = volumeDescriptor(file);
	if ((connection->fileDescriptor < 0) && (VOLUME_OK == volumeReadInPlace(file, NULL, 0))) {
		connection->runs = c_malloc(kRunsPerSend * sizeof(struct iovec));
		if (!connection->runs) {
			volumeClose(file);
			connection->file = NULL;
			xsmcSetString(xsResult, (char *)volumeErrorName(VOLUME_ENOMEM));
			return;
		}
	}
	else if (connection->fileDescriptor < 0) {
		connection->buffer = c_malloc(MODDEF_FTPSOCK_BUFFER);
		if (!connection->buffer) {
			volumeClose(file);		// only read: nothing to commit
			connection->file = NULL;
			xsmcSetString(xsResult, (char *)volumeErrorName(VOLUME_ENOMEM));
			return;
		}
		connection->bufferSize = MODDEF_FTPSOCK_BUFFER;
	}
	connectionBegin(the, connection, kStateSendFile, G_IO_OUT, &xsArg(2), &xsArg(3));
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
	connection->file = file;
	connection->buffer = c_malloc(MODDEF_FTPSOCK_BUFFER);
	if (!connection->buffer) {
		// The caller deletes what this created; the error it reports is the missing memory.
		volumeClose(file);
		connection->file = NULL;
		xsmcSetString(xsResult, (char *)volumeErrorName(VOLUME_ENOMEM));
		return;
	}
	connection->bufferSize = MODDEF_FTPSOCK_BUFFER;
	connectionBegin(the, connection, kStateReceiveFile, G_IO_IN, &xsArg(3), &xsArg(4));
}

// (path, format, writable (0 or 1), now, idleTimeout, callback): a folder's listing made natively
// (ftpsock_listing.h), sent through the buffer as a file is. Undefined, or the code of why
// the folder did not open.
void xs_ftpsock_connection_send_listing(xsMachine *the)
{
	xsFtpSockConnection connection = connectionReady(the, &xsArg(5));
	int32_t error = 0;
	FtpListing listing;

	listing = ftpListingOpen(xsmcToString(xsArg(0)), (uint8_t)xsmcToInteger(xsArg(1)), (uint8_t)xsmcToInteger(xsArg(2)), (int64_t)xsmcToNumber(xsArg(3)), &error);
	if (!listing) {
		xsmcSetString(xsResult, (char *)volumeErrorName(error));
		return;
	}
	connection->buffer = c_malloc(MODDEF_FTPSOCK_BUFFER);
	if (!connection->buffer) {
		ftpListingClose(listing);
		xsmcSetString(xsResult, (char *)volumeErrorName(VOLUME_ENOMEM));
		return;
	}
	connection->bufferSize = MODDEF_FTPSOCK_BUFFER;
	connection->listing = listing;
	connectionBegin(the, connection, kStateSendFile, G_IO_OUT, &xsArg(4), &xsArg(5));
}

// (data, callback): the bytes of an ArrayBuffer (or view), or a string's UTF-8, copied once.
void xs_ftpsock_connection_send(xsMachine *the)
{
	xsFtpSockConnection connection = connectionReady(the, &xsArg(1));
	void *data;
	xsUnsignedValue length;

	if (xsStringType == xsmcTypeOf(xsArg(0))) {
		data = xsmcToString(xsArg(0));
		length = c_strlen(data);
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
	connectionBegin(the, connection, kStateSendBytes, G_IO_OUT, NULL, &xsArg(1));
}

// true when an operation was pending: its callback has been called with EABORTED. false when
// there was none, also when the last one settled and JS has not yet seen its promise settle
// (its reaction runs a turn later): the caller then knows nothing was interrupted.
void xs_ftpsock_connection_abort(xsMachine *the)
{
	xsFtpSockConnection connection = connectionGet(the);

	if (!connection || (kStateIdle == connection->state) || (kStateClosed == connection->state)) {
		xsmcSetFalse(xsResult);
		return;
	}
	connectionSettle(the, connection, "EABORTED");
	xsmcSetTrue(xsResult);
}

// A pending transfer rejects with EABORTED; a pending connect is dropped without a callback
// (its owner is the one closing). What was handed to the kernel is still delivered: FIN
// follows the data, so the client sees the end of the file, not a reset.
void xs_ftpsock_connection_close(xsMachine *the)
{
	xsFtpSockConnection connection = connectionGet(the);

	if (!connection || (kStateClosed == connection->state))
		return;
	if (kStateConnecting == connection->state)
		connection->callback = NULL;
	if (kStateIdle != connection->state)
		connectionSettle(the, connection, "EABORTED");
	connectionShutdown(connection);
}

void xs_ftpsock_connection_get_remoteAddress(xsMachine *the)
{
	xsFtpSockConnection connection = connectionGet(the);
	char text[INET_ADDRSTRLEN];

	if (connection)
		xsmcSetString(xsResult, (char *)inet_ntop(AF_INET, &connection->remote.sin_addr, text, sizeof(text)));
}

void xs_ftpsock_connection_get_remotePort(xsMachine *the)
{
	xsFtpSockConnection connection = connectionGet(the);

	if (connection)
		xsmcSetInteger(xsResult, ntohs(connection->remote.sin_port));
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

void connectionBegin(xsMachine *the, xsFtpSockConnection connection, uint8_t state, GIOCondition condition, xsSlot *idleTimeout, xsSlot *callback)
{
	xsNumberValue milliseconds = idleTimeout ? xsmcToNumber(*idleTimeout) : 0;

	connection->callback = xsmcToReference(*callback);
	connection->state = state;
	connection->bytes = 0;
	connection->offset = 0;
	connection->watch = ftpsockWatch(connection->fd, condition, connectionOnSocket, connection);
	if (milliseconds > 0) {
		connection->idleTimeout = (gint64)(milliseconds * 1000);
		connection->progress = g_get_monotonic_time();
		connection->timer = g_source_new(&gTimerFuncs, sizeof(GSource));
		g_source_set_callback(connection->timer, connectionOnTimer, connection, NULL);
		g_source_set_ready_time(connection->timer, connection->progress + connection->idleTimeout);
		g_source_attach(connection->timer, NULL);
	}
	if (!connection->remembered) {
		xsRemember(connection->obj);
		connection->remembered = 1;
	}
}

// Ends the pending operation, then calls its callback: last, since the callback may start
// the next operation or close. The caller has a host context (a host function, or
// xsBeginHost around a GLib dispatch).
void connectionSettle(xsMachine *the, xsFtpSockConnection connection, const char *code)
{
	xsSlot *callback = connection->callback;
	uint8_t state = connection->state;
	int32_t result;

	if (connection->file) {
		result = volumeClose(connection->file);
		connection->file = NULL;
		// A failed commit loses an upload that looked complete: it fails the transfer. After
		// another failure (or an abort) the caller deletes the partial file, whatever its state.
		if (!code && (result < 0))
			code = volumeErrorName(result);
	}
	connectionRelease(connection);
	connection->callback = NULL;
	if ((kStateConnecting == state) && code)
		connectionShutdown(connection);		// a failed or aborted connect leaves nothing to use
	else if (kStateClosed != connection->state)
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
			xsCallFunction1(xsReference(callback), connection->obj, xsString(code));
		else
			xsCallFunction0(xsReference(callback), connection->obj);
	}
	else if (code)
		xsCallFunction2(xsReference(callback), connection->obj, xsString(code), xsNumber((xsNumberValue)connection->bytes));
	else
		xsCallFunction2(xsReference(callback), connection->obj, xsUndefined, xsNumber((xsNumberValue)connection->bytes));
}

// Frees what a transfer holds besides the file: fd watch, timer, buffer.
void connectionRelease(xsFtpSockConnection connection)
{
	if (connection->watch) {
		g_source_remove(connection->watch);
		connection->watch = 0;
	}
	if (connection->timer) {
		g_source_destroy(connection->timer);
		g_source_unref(connection->timer);
		connection->timer = NULL;
	}
	if (connection->buffer) {
		c_free(connection->buffer);
		connection->buffer = NULL;
	}
	if (connection->runs) {
		c_free(connection->runs);
		connection->runs = NULL;
	}
	if (connection->listing) {
		ftpListingClose(connection->listing);
		connection->listing = NULL;
	}
	connection->run = connection->runCount = 0;
	connection->bufferSize = connection->offset = connection->length = 0;
	connection->fileDescriptor = -1;
}

// shutdown(SHUT_WR) sends FIN after the queued data; close() alone would turn into a reset
// if unread bytes were waiting, and the client could lose the end of the file.
void connectionShutdown(xsFtpSockConnection connection)
{
	if (connection->watch) {
		g_source_remove(connection->watch);
		connection->watch = 0;
	}
	if (connection->fd >= 0) {
		shutdown(connection->fd, SHUT_WR);
		close(connection->fd);
		connection->fd = -1;
	}
	connection->state = kStateClosed;
}

gboolean connectionOnSocket(gint fd, GIOCondition condition, gpointer data)
{
	xsFtpSockConnection connection = data;
	const char *code = NULL;

	(void)fd;
	(void)condition;
	switch (connection->state) {
		case kStateConnecting:
			code = pumpConnect(connection);
			break;
		case kStateSendFile:
			if (connection->fileDescriptor >= 0)
				code = pumpSendFile(connection);
			else if (connection->runs)
				code = pumpSendInPlace(connection);
			else
				code = pumpSendBuffer(connection);
			break;
		case kStateSendBytes:
			code = pumpSendBuffer(connection);
			break;
		case kStateReceiveFile:
			code = pumpReceiveFile(connection);
			break;
	}
	if (code) {
		xsMachine *the = connection->the;
		xsBeginHost(the);
		{
			connectionSettle(the, connection, (kSettled == code) ? NULL : code);
		}
		xsEndHost(the);
	}
	// Settling removed this source already: what is returned then no longer matters.
	return G_SOURCE_CONTINUE;
}

gboolean connectionOnTimer(gpointer data)
{
	xsFtpSockConnection connection = data;
	gint64 deadline = connection->progress + connection->idleTimeout;

	if (g_get_monotonic_time() < deadline) {
		g_source_set_ready_time(connection->timer, deadline);
		return G_SOURCE_CONTINUE;
	}
	{
		xsMachine *the = connection->the;
		xsBeginHost(the);
		{
			connectionSettle(the, connection, "ETIMEDOUT");
		}
		xsEndHost(the);
	}
	return G_SOURCE_CONTINUE;
}

const char *pumpConnect(xsFtpSockConnection connection)
{
	int error = 0;
	socklen_t length = sizeof(error);

	if (getsockopt(connection->fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0)
		error = errno;
	return error ? ftpsockErrorName(error) : kSettled;
}

const char *pumpSendFile(xsFtpSockConnection connection)
{
	int round;
	ssize_t count;

	for (round = 0; round < kRoundsPerWakeup; round++) {
		count = sendfile(connection->fd, connection->fileDescriptor, NULL, kSendfileChunk);
		if (count > 0) {
			connection->bytes += count;
			connection->progress = g_get_monotonic_time();
		}
		else if (0 == count)
			return kSettled;		// end of file, every byte queued in the kernel
		else if (EINTR == errno)
			continue;
		else if ((EAGAIN == errno) || (EWOULDBLOCK == errno))
			return NULL;
		else
			return ftpsockErrorName(errno);
	}
	return NULL;
}

// A file through the buffer, or the bytes of send(): `file` is NULL for the latter.
const char *pumpSendBuffer(xsFtpSockConnection connection)
{
	int round;
	int32_t read;
	ssize_t count;

	for (round = 0; round < kRoundsPerWakeup; round++) {
		if (connection->offset == connection->length) {
			if (connection->listing)
				read = ftpListingRead(connection->listing, connection->buffer, connection->bufferSize);
			else if (!connection->file)
				return kSettled;
			else
				read = volumeRead(connection->file, connection->buffer, connection->bufferSize);
			if (read < 0)
				return volumeErrorName(read);
			if (0 == read)
				return kSettled;
			connection->offset = 0;
			connection->length = read;
		}
		count = send(connection->fd, connection->buffer + connection->offset, connection->length - connection->offset, MSG_NOSIGNAL);
		if (count >= 0) {
			connection->offset += count;
			connection->bytes += count;
			connection->progress = g_get_monotonic_time();
		}
		else if (EINTR == errno)
			continue;
		else if ((EAGAIN == errno) || (EWOULDBLOCK == errno))
			return NULL;
		else
			return ftpsockErrorName(errno);
	}
	return NULL;
}

// Gathers the next runs of the file; returns NULL with connection->runCount set (0 at the
// end of the file), or an error code.
static const char *gatherRuns(xsFtpSockConnection connection)
{
	uint32_t total = 0;
	uint16_t count = 0;
	const void *data;
	int32_t got;

	while ((count < kRunsPerSend) && (total < kSendfileChunk)) {
		got = volumeReadInPlace(connection->file, &data, kSendfileChunk - total);
		if (got <= 0) {
			// VOLUME_ENOTSUP before any run (nothing moved): the rest goes through the buffer
			if ((VOLUME_ENOTSUP == got) && !count) {
				connection->buffer = c_malloc(MODDEF_FTPSOCK_BUFFER);
				if (!connection->buffer)
					return volumeErrorName(VOLUME_ENOMEM);
				connection->bufferSize = MODDEF_FTPSOCK_BUFFER;
				c_free(connection->runs);
				connection->runs = NULL;
			}
			else if ((got < 0) && (VOLUME_ENOTSUP != got))
				return volumeErrorName(got);
			break;
		}
		connection->runs[count].iov_base = (void *)data;
		connection->runs[count].iov_len = got;
		count++;
		total += got;
	}
	connection->run = 0;
	connection->runCount = count;
	return NULL;
}

const char *pumpSendInPlace(xsFtpSockConnection connection)
{
	int round;
	int32_t check;
	ssize_t count;
	struct msghdr message;
	const char *code;

	// runs left by the last wakeup: still in the mapping? (anything may have run since)
	if (connection->run < connection->runCount) {
		check = volumeReadInPlace(connection->file, NULL, 0);
		if (check < 0)
			return volumeErrorName(check);
	}
	c_memset(&message, 0, sizeof(message));
	for (round = 0; round < kRoundsPerWakeup; round++) {
		if (connection->run == connection->runCount) {
			code = gatherRuns(connection);
			if (code)
				return code;
			if (!connection->runs)
				return pumpSendBuffer(connection);
			if (0 == connection->runCount)
				return kSettled;
		}
		message.msg_iov = connection->runs + connection->run;
		message.msg_iovlen = connection->runCount - connection->run;
		count = sendmsg(connection->fd, &message, MSG_NOSIGNAL);
		if (count >= 0) {
			connection->bytes += count;
			connection->progress = g_get_monotonic_time();
			while (count) {
				struct iovec *run = &connection->runs[connection->run];
				if ((size_t)count < run->iov_len) {
					run->iov_base = (uint8_t *)run->iov_base + count;
					run->iov_len -= count;
					break;
				}
				count -= run->iov_len;
				connection->run++;
			}
		}
		else if (EINTR == errno)
			continue;
		else if ((EAGAIN == errno) || (EWOULDBLOCK == errno))
			return NULL;
		else if (EFAULT == errno)
			return volumeErrorName(VOLUME_EIO);		// the image lost the pages under the runs
		else
			return ftpsockErrorName(errno);
	}
	return NULL;
}

const char *pumpReceiveFile(xsFtpSockConnection connection)
{
	int round;
	int32_t written;
	ssize_t count;

	for (round = 0; round < kRoundsPerWakeup; round++) {
		count = recv(connection->fd, connection->buffer, connection->bufferSize, 0);
		if (count > 0) {
			written = volumeWrite(connection->file, connection->buffer, (uint32_t)count);
			if (written < 0)
				return volumeErrorName(written);
			connection->bytes += count;
			connection->progress = g_get_monotonic_time();
		}
		else if (0 == count)
			return kSettled;		// the client's FIN: end of file in stream mode (RFC 959 3.4.1)
		else if (EINTR == errno)
			continue;
		else if ((EAGAIN == errno) || (EWOULDBLOCK == errno))
			return NULL;
		else
			return ftpsockErrorName(errno);
	}
	return NULL;
}
