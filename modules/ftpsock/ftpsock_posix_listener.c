/*
 * DataListener (passive mode: PASV/EPSV) and localAddressFor, on POSIX sockets driven by
 * the GLib main loop of the Linux host.
 *
 * The listener is not remembered while it waits: a session that drops it without close()
 * lets the collector run the destructor, which closes the socket. It is the one place a
 * listener's fd can outlive its owner, so it is also the one place that must not leak.
 */
#define _GNU_SOURCE		// accept4(2)
#include "xsmc.h"
#include "mc.xs.h"

#include "ftpsock_posix.h"

#include <glib-unix.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

// The right peer may queue behind a wrong one (RFC 2577 port theft): room for both.
#define kBacklog (4)

typedef struct xsFtpSockListenerRecord xsFtpSockListenerRecord;
typedef xsFtpSockListenerRecord *xsFtpSockListener;

struct xsFtpSockListenerRecord {
	xsMachine *the;
	xsSlot obj;					// the DataListener (not remembered, see above)
	xsSlot *callback;			// marked by the host hooks while the DataListener lives
	int fd;						// listening socket; -1 once it stopped listening
	int accepted;				// accepted socket not yet taken by its DataConnection; -1 when none
	guint watch;
	struct in_addr peer;
	struct sockaddr_in remote;	// of `accepted`
	uint16_t port;
};

void xs_ftpsock_listener_destructor(void *data);
static void xs_ftpsock_listener_mark(xsMachine *the, void *it, xsMarkRoot markRoot);

static const xsHostHooks xsFtpSockListenerHooks = {
	xs_ftpsock_listener_destructor,
	xs_ftpsock_listener_mark,
	NULL
};

static int listenerBind(xsFtpSockListener listener, struct in_addr address, int port);
static gboolean listenerOnReadable(gint fd, GIOCondition condition, gpointer data);
static void listenerReport(xsFtpSockListener listener, const char *code);
static void listenerStop(xsFtpSockListener listener);
static void listenerDropAccepted(xsFtpSockListener listener);

// (address, port, portMin, portMax, peer, callback): undefined, or the code of why no port
// could be bound (EADDRINUSE when the whole range is taken).
void xs_ftpsock_listener(xsMachine *the)
{
	xsFtpSockListener listener;
	struct in_addr address = ftpsockParseAddress(the, &xsArg(0));
	struct in_addr peer = ftpsockParseAddress(the, &xsArg(4));
	int port = ftpsockParsePort(the, &xsArg(1));
	int portMin = ftpsockParsePort(the, &xsArg(2));
	int portMax = ftpsockParsePort(the, &xsArg(3));
	int error = EADDRINUSE;

	if (!xsmcIsCallable(xsArg(5)))
		xsTypeError("no callback");
	if (portMin && portMax) {
		if (portMin > portMax)
			xsRangeError("invalid port range");
	}
	else
		portMin = portMax = port;

	listener = c_calloc(1, sizeof(xsFtpSockListenerRecord));
	if (!listener)
		xsUnknownError("no memory");
	listener->fd = -1;
	listener->accepted = -1;
	listener->the = the;
	listener->obj = xsThis;
	listener->callback = xsmcToReference(xsArg(5));
	listener->peer = peer;
	xsmcSetHostData(xsThis, listener);
	xsSetHostHooks(xsThis, (xsHostHooks *)&xsFtpSockListenerHooks);

	for (port = portMin; port <= portMax; port++) {
		error = listenerBind(listener, address, port);
		if (EADDRINUSE != error)
			break;
	}
	if (error) {
		xsmcSetString(xsResult, (char *)ftpsockErrorName(error));
		return;
	}
	listener->watch = ftpsockWatch(listener->fd, G_IO_IN, listenerOnReadable, listener);
}

void xs_ftpsock_listener_destructor(void *data)
{
	xsFtpSockListener listener = data;

	if (!listener)
		return;
	listenerStop(listener);
	listenerDropAccepted(listener);
	c_free(listener);
}

void xs_ftpsock_listener_mark(xsMachine *the, void *it, xsMarkRoot markRoot)
{
	xsFtpSockListener listener = it;

	(void)the;
	if (listener->callback)
		(*markRoot)(the, listener->callback);
}

void xs_ftpsock_listener_close(xsMachine *the)
{
	xsFtpSockListener listener = xsmcGetHostDataValidate(xsThis, (void *)&xsFtpSockListenerHooks);

	if (!listener)
		return;
	listenerStop(listener);
	listenerDropAccepted(listener);
}

void xs_ftpsock_listener_get_port(xsMachine *the)
{
	xsFtpSockListener listener = xsmcGetHostDataValidate(xsThis, (void *)&xsFtpSockListenerHooks);

	xsmcSetInteger(xsResult, listener ? listener->port : 0);
}

int ftpsockListenerTake(xsMachine *the, xsSlot *slot, struct sockaddr_in *remote)
{
	xsFtpSockListener listener = xsmcGetHostDataValidate(*slot, (void *)&xsFtpSockListenerHooks);
	int fd;

	if (!listener)
		return -1;
	fd = listener->accepted;
	listener->accepted = -1;
	*remote = listener->remote;
	return fd;
}

// (remote): the dotted quad of the local address the kernel routes `remote` from, or an
// error code. A connected UDP socket sends nothing: connect() only picks the route.
void xs_ftpsock_local_address_for(xsMachine *the)
{
	struct in_addr remote = ftpsockParseAddress(the, &xsArg(0));
	struct sockaddr_in address = {0};
	socklen_t length = sizeof(address);
	char text[INET_ADDRSTRLEN];
	int fd, error = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		xsmcSetString(xsResult, (char *)ftpsockErrorName(errno));
		return;
	}
	address.sin_family = AF_INET;
	address.sin_addr = remote;
	address.sin_port = htons(9);	// discard: any port will do, nothing is sent
	if ((connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0) || (getsockname(fd, (struct sockaddr *)&address, &length) < 0))
		error = errno;
	close(fd);
	if (error)
		xsmcSetString(xsResult, (char *)ftpsockErrorName(error));
	else
		xsmcSetString(xsResult, (char *)inet_ntop(AF_INET, &address.sin_addr, text, sizeof(text)));
}

int listenerBind(xsFtpSockListener listener, struct in_addr address, int port)
{
	struct sockaddr_in local = {0};
	socklen_t length = sizeof(local);
	int fd, one = 1, error;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	// A data port that the previous transfer left in TIME_WAIT can serve the next PASV.
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	local.sin_family = AF_INET;
	local.sin_addr = address;
	local.sin_port = htons(port);
	// listen() is checked too: with SO_REUSEADDR, Linux lets bind() share a port that another
	// socket has bound but not yet made a listener, and refuses only at listen().
	if ((bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) || (listen(fd, kBacklog) < 0) || (getsockname(fd, (struct sockaddr *)&local, &length) < 0)) {
		error = errno;
		close(fd);
		return error;
	}
	listener->fd = fd;
	listener->port = ntohs(local.sin_port);
	return 0;
}

gboolean listenerOnReadable(gint fd, GIOCondition condition, gpointer data)
{
	xsFtpSockListener listener = data;
	struct sockaddr_in remote;
	socklen_t length;
	int accepted, error;

	(void)fd;
	(void)condition;
	for (;;) {
		length = sizeof(remote);
		accepted = accept4(listener->fd, (struct sockaddr *)&remote, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (accepted < 0) {
			error = errno;
			if ((EAGAIN == error) || (EWOULDBLOCK == error))
				return G_SOURCE_CONTINUE;
			// accept(2): Linux hands pending network errors of the new connection to accept();
			// they concern that connection only, the listener goes on.
			if ((EINTR == error) || (ECONNABORTED == error) || (EPROTO == error) || (ENETDOWN == error) || (ENOPROTOOPT == error)
					|| (EHOSTDOWN == error) || (ENONET == error) || (EHOSTUNREACH == error) || (EOPNOTSUPP == error) || (ENETUNREACH == error))
				continue;
			// EMFILE, ENOBUFS...: the connection stays queued and the socket readable, so
			// waiting on would spin. Give up; the session answers 425.
			listenerStop(listener);
			listenerReport(listener, ftpsockErrorName(error));
			return G_SOURCE_CONTINUE;
		}
		// RFC 2577 (port theft): only the control connection's peer may take the data connection.
		if ((AF_INET != remote.sin_family) || (remote.sin_addr.s_addr != listener->peer.s_addr)) {
			close(accepted);
			continue;
		}
		listenerStop(listener);
		listener->accepted = accepted;
		listener->remote = remote;
		listenerReport(listener, NULL);
		return G_SOURCE_CONTINUE;
	}
}

// Calls back last: the callback may close the listener. A connection its DataConnection did
// not take (the callback threw first) is closed here, then the exception goes on to the host.
void listenerReport(xsFtpSockListener listener, const char *code)
{
	xsMachine *the = listener->the;

	xsBeginHost(the);
	{
		xsTry {
			// The DataListener is `this` of the call: on the stack, it outlives the callback.
			if (code)
				xsCallFunction1(xsReference(listener->callback), listener->obj, xsString(code));
			else
				xsCallFunction0(xsReference(listener->callback), listener->obj);
		}
		xsCatch {
			listenerDropAccepted(listener);
			xsThrow(xsException);
		}
		listenerDropAccepted(listener);
	}
	xsEndHost(the);
}

// Stops listening: the source goes before the descriptor, so GLib never polls a closed fd.
void listenerStop(xsFtpSockListener listener)
{
	if (listener->watch) {
		g_source_remove(listener->watch);
		listener->watch = 0;
	}
	if (listener->fd >= 0) {
		close(listener->fd);
		listener->fd = -1;
	}
}

void listenerDropAccepted(xsFtpSockListener listener)
{
	if (listener->accepted >= 0) {
		close(listener->accepted);
		listener->accepted = -1;
	}
}
