/*
 * The POSIX backend of ftpsock (ftpsock_backend.h): DataConnection on POSIX sockets driven by
 * the GLib main loop of the Linux host; the host functions are the binding's (ftpsock_binding.c).
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
 * - One copy, or none, from a LittleFS image. A download gathers the file's runs in the image's
 *   mapping (volumeReadInPlace: a run per 4 KiB block, after its skip-list pointers) into an
 *   iovec array (kRunsPerSend entries, instead of the buffer) and sendmsg()s them: the kernel
 *   copies the bytes from the page cache into the socket once, where reading into the buffer
 *   first cost LittleFS's copy and then send()'s. Unsent runs wait for the next wakeup, which
 *   first asks the volume whether they are still readable (an unmount or a truncated image
 *   fails the transfer; a page truncated away fails sendmsg with EFAULT, reported as EIO).
 *   Files without runs (inline in LittleFS's metadata) go through the buffer. A file of
 *   kLendFrom bytes or more is lent instead of copied: vmsplice() puts references to the
 *   runs' pages into a pipe of the transfer's, splice() moves them into the socket, and the
 *   file stays open until the peer is done with them (ftpsock_posix_linger.c). RETR 16 MiB:
 *   server CPU 3.6 to 2.6 ms, 4,000 to 5,800 MB/s.
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
 * - The lwIP backend (esp32, esp) is ftpsock_lwip*.c, behind the same binding. Both device
 *   lwIP configurations set LWIP_NETIF_TX_SINGLE_PBUF, under which tcp_write() always copies,
 *   so it sends from one small buffer refilled as tcp_sent() frees room, and acknowledges
 *   received pbufs (tcp_recved) only once they are written to flash.
 */
#define _GNU_SOURCE		// pipe2(2), F_SETPIPE_SZ
#include "xsmc.h"
#include "mc.defines.h"

#include "ftpsock_posix_connection.h"

#include <glib-unix.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

static void connectionRelease(xsFtpSockConnection connection);
static void connectionShutdown(xsFtpSockConnection connection);
static gboolean connectionOnSocket(gint fd, GIOCondition condition, gpointer data);
static gboolean connectionOnTimer(gpointer data);

static gboolean timerDispatch(GSource *source, GSourceFunc callback, gpointer data)
{
	(void)source;
	return callback(data);
}

// No prepare or check: the source is ready only by its ready time (g_source_set_ready_time).
static GSourceFuncs gTimerFuncs = { NULL, NULL, timerDispatch, NULL, NULL, NULL };

// Nagle stays on (the default, said here because it matters): data goes in full segments; the
// last, short one leaves at shutdown().
static void connectionConfigure(xsFtpSockConnection connection)
{
	int zero = 0;

	setsockopt(connection->fd, IPPROTO_TCP, TCP_NODELAY, &zero, sizeof(zero));
}

FtpSockConnection ftpsockConnectionCreate(void)
{
	xsFtpSockConnection connection = c_calloc(1, sizeof(xsFtpSockConnectionRecord));

	if (connection) {
		connection->fd = -1;
		connection->fileDescriptor = -1;
		connection->pipe[0] = connection->pipe[1] = -1;
	}
	return connection;
}

FtpSockConnection ftpsockConnectionAccepted(xsMachine *the, FtpSockListener listener)
{
	xsFtpSockConnection connection;
	struct sockaddr_in remote;
	int fd = ftpsockListenerTake(listener, &remote);

	if (fd < 0)
		return NULL;
	connection = ftpsockConnectionCreate();
	if (!connection) {
		close(fd);
		xsUnknownError("no memory");
	}
	connection->fd = fd;
	connection->remote = remote;
	connectionConfigure(connection);
	return connection;
}

const char *ftpsockConnectionConnect(FtpSockConnection connection, FtpSockAddress address, int port)
{
	int fd, error;

	connection->remote.sin_family = AF_INET;
	c_memcpy(&connection->remote.sin_addr.s_addr, address.byte, 4);
	connection->remote.sin_port = htons(port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ftpsockErrorName(errno);
	connection->fd = fd;
	if ((connect(fd, (struct sockaddr *)&connection->remote, sizeof(connection->remote)) < 0) && (EINPROGRESS != errno)) {
		error = errno;
		close(fd);
		connection->fd = -1;
		return ftpsockErrorName(error);
	}
	connectionConfigure(connection);
	return NULL;
}

void ftpsockConnectionDestroy(FtpSockConnection connection)
{
	connectionRelease(connection);
	// nobody waits for this transfer any more: its result has no reader
	if (connection->base.file && !ftpsockConnectionKeepsFile(connection, connection->base.file))
		volumeClose(connection->base.file);
	connection->base.file = NULL;
	if (connection->lent)
		connectionShutdown(connection);
	else if (connection->fd >= 0)
		close(connection->fd);
	ftpsockLingerFree(connection->linger);
	c_free(connection);
}

int ftpsockConnectionKeepsFile(FtpSockConnection connection, VolumeFile file)
{
	if (!connection->lends || (connection->fd < 0) || connection->lent)
		return 0;
	connection->lent = file;
	return 1;
}

// A large download from the image lends its pages (see kLendFrom), through a pipe of its own;
// without a pipe or a linger record it copies them, as smaller files do.
static void connectionPrepareLending(xsFtpSockConnection connection, VolumeFile file)
{
	if (connection->linger || (volumeSize(file) < kLendFrom))
		return;		// (a connection's earlier download still lending: this one copies)
	connection->linger = ftpsockLingerCreate();
	if (!connection->linger)
		return;
	if (pipe2(connection->pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		connection->pipe[0] = connection->pipe[1] = -1;
		ftpsockLingerFree(connection->linger);
		connection->linger = NULL;
		return;
	}
	// a slot per run: room for the next runs beside what the socket left in the pipe (a pipe
	// holds 16 slots by default; the system's limit may refuse more, which only slows this)
	fcntl(connection->pipe[1], F_SETPIPE_SZ, kLendPipe);
}

int32_t ftpsockConnectionPrepareSend(FtpSockConnection connection)
{
	VolumeFile file = connection->base.file;

	connection->fileDescriptor = file ? volumeDescriptor(file) : -1;		// a listing: through the buffer
	if (file && (connection->fileDescriptor < 0) && (VOLUME_OK == volumeReadInPlace(file, NULL, 0))) {
		connection->runs = c_malloc(kRunsPerSend * sizeof(struct iovec));
		if (!connection->runs)
			return VOLUME_ENOMEM;
		connectionPrepareLending(connection, file);
	}
	else if (connection->fileDescriptor < 0) {
		connection->base.buffer = c_malloc(MODDEF_FTPSOCK_BUFFER);
		if (!connection->base.buffer)
			return VOLUME_ENOMEM;
		connection->base.bufferSize = MODDEF_FTPSOCK_BUFFER;
	}
	return VOLUME_OK;
}

int32_t ftpsockConnectionPrepareReceive(FtpSockConnection connection)
{
	connection->base.buffer = c_malloc(MODDEF_FTPSOCK_BUFFER);
	if (!connection->base.buffer)
		return VOLUME_ENOMEM;
	connection->base.bufferSize = MODDEF_FTPSOCK_BUFFER;
	connection->ended = 0;
	return VOLUME_OK;
}

// A connect completes as writability (or HUP/ERR, always reported), then SO_ERROR tells.
void ftpsockConnectionStart(FtpSockConnection connection, xsNumberValue milliseconds)
{
	GIOCondition condition = (kStateReceiveFile == connection->base.state) ? G_IO_IN : G_IO_OUT;

	connection->watch = ftpsockWatch(connection->fd, condition, connectionOnSocket, connection);
	if (milliseconds > 0) {
		connection->idleTimeout = (gint64)(milliseconds * 1000);
		connection->progress = g_get_monotonic_time();
		connection->timer = g_source_new(&gTimerFuncs, sizeof(GSource));
		g_source_set_callback(connection->timer, connectionOnTimer, connection, NULL);
		g_source_set_ready_time(connection->timer, connection->progress + connection->idleTimeout);
		g_source_attach(connection->timer, NULL);
	}
}

// A failed or aborted connect leaves nothing to use.
void ftpsockConnectionEnd(FtpSockConnection connection, uint8_t state, const char *code)
{
	connectionRelease(connection);
	if ((kStateConnecting == state) && code)
		connectionShutdown(connection);
}

void ftpsockConnectionFinish(xsMachine *the, FtpSockConnection connection, const char *code)
{
	ftpsockConnectionSettle(the, connection, connection->base.state, code);
}

void ftpsockConnectionClose(xsMachine *the, FtpSockConnection connection)
{
	if (kStateConnecting == connection->base.state)
		connection->base.callback = NULL;
	if (kStateIdle != connection->base.state)
		ftpsockConnectionSettle(the, connection, connection->base.state, "EABORTED");
	connectionShutdown(connection);
}

int ftpsockConnectionRemoteAddress(FtpSockConnection connection, char *text)
{
	return NULL != inet_ntop(AF_INET, &connection->remote.sin_addr, text, INET_ADDRSTRLEN);
}

uint16_t ftpsockConnectionRemotePort(FtpSockConnection connection)
{
	return ntohs(connection->remote.sin_port);
}

xsNumberValue ftpsockConnectionSinceEnd(FtpSockConnection connection)
{
	return connection->ended ? (xsNumberValue)(g_get_monotonic_time() - connection->ended) : -1;
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
	if (connection->base.buffer) {
		c_free(connection->base.buffer);
		connection->base.buffer = NULL;
	}
	if (connection->runs) {
		c_free(connection->runs);
		connection->runs = NULL;
	}
	if (connection->pipe[0] >= 0) {
		close(connection->pipe[0]);
		close(connection->pipe[1]);
		connection->pipe[0] = connection->pipe[1] = -1;
	}
	connection->piped = 0;
	if (!connection->lends) {
		ftpsockLingerFree(connection->linger);
		connection->linger = NULL;
	}
	connection->run = connection->runCount = 0;
	connection->base.bufferSize = connection->base.offset = connection->base.length = 0;
	connection->fileDescriptor = -1;
}

// shutdown(SHUT_WR) sends FIN after the queued data; close() alone would turn into a reset
// if unread bytes were waiting, and the client could lose the end of the file. A lent
// download's socket and file linger until the peer is done (ftpsock_posix_linger.c).
void connectionShutdown(xsFtpSockConnection connection)
{
	if (connection->watch) {
		g_source_remove(connection->watch);
		connection->watch = 0;
	}
	if (connection->lent) {
		ftpsockLinger(connection->linger, connection->fd, connection->lent);
		connection->linger = NULL;
		connection->lent = NULL;
		connection->lends = 0;
		connection->fd = -1;
	}
	else if (connection->fd >= 0) {
		shutdown(connection->fd, SHUT_WR);
		close(connection->fd);
		connection->fd = -1;
	}
	connection->base.state = kStateClosed;
}

gboolean connectionOnSocket(gint fd, GIOCondition condition, gpointer data)
{
	(void)fd;
	(void)condition;
	ftpsockConnectionPump(data);
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
	ftpsockConnectionFinishInHost(connection, "ETIMEDOUT");
	return G_SOURCE_CONTINUE;
}
