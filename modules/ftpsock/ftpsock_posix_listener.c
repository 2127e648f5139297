/*
 * The POSIX backend's DataListener (passive mode: PASV/EPSV) and localAddressFor
 * (ftpsock_backend.h), on POSIX sockets driven by the GLib main loop of the Linux host.
 *
 * The listener is not remembered while it waits: a session that drops it without close()
 * lets the collector run the destructor, which closes the socket. It is the one place a
 * listener's fd can outlive its owner, so it is also the one place that must not leak.
 */
#define _GNU_SOURCE		// accept4(2)
#include "xsmc.h"

#include "ftpsock_posix_connection.h"

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
	FtpSockListenerBase base;	// the binding's: the DataListener (not remembered, see above), callback
	int fd;						// listening socket; -1 once it stopped listening
	int accepted;				// accepted socket not yet taken by its DataConnection; -1 when none
	guint watch;
	struct in_addr peer;
	struct sockaddr_in remote;	// of `accepted`
	uint16_t port;
};

static int listenerBind(xsFtpSockListener listener, struct in_addr address, int port);
static gboolean listenerOnReadable(gint fd, GIOCondition condition, gpointer data);
static void listenerStop(xsFtpSockListener listener);

FtpSockListener ftpsockListenerCreate(void)
{
	xsFtpSockListener listener = c_calloc(1, sizeof(xsFtpSockListenerRecord));

	if (listener) {
		listener->fd = -1;
		listener->accepted = -1;
	}
	return listener;
}

const char *ftpsockListenerListen(FtpSockListener listener, FtpSockAddress address, int portMin, int portMax, FtpSockAddress peer)
{
	struct in_addr local;
	int port, error = EADDRINUSE;

	c_memcpy(&local.s_addr, address.byte, 4);
	c_memcpy(&listener->peer.s_addr, peer.byte, 4);
	for (port = portMin; port <= portMax; port++) {
		error = listenerBind(listener, local, port);
		if (EADDRINUSE != error)
			break;
	}
	if (error)
		return ftpsockErrorName(error);
	listener->watch = ftpsockWatch(listener->fd, G_IO_IN, listenerOnReadable, listener);
	return NULL;
}

uint16_t ftpsockListenerPort(FtpSockListener listener)
{
	return listener->port;
}

void ftpsockListenerClose(FtpSockListener listener)
{
	listenerStop(listener);
	ftpsockListenerDropAccepted(listener);
}

void ftpsockListenerDestroy(FtpSockListener listener)
{
	ftpsockListenerClose(listener);
	c_free(listener);
}

int ftpsockListenerTake(FtpSockListener listener, struct sockaddr_in *remote)
{
	int fd = listener->accepted;

	listener->accepted = -1;
	*remote = listener->remote;
	return fd;
}

// (remote): the dotted quad of the local address the kernel routes `remote` from, or an
// error code. A connected UDP socket sends nothing: connect() only picks the route.
const char *ftpsockLocalAddress(FtpSockAddress remote, char *text)
{
	struct sockaddr_in address = {0};
	socklen_t length = sizeof(address);
	int fd, error = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ftpsockErrorName(errno);
	address.sin_family = AF_INET;
	c_memcpy(&address.sin_addr.s_addr, remote.byte, 4);
	address.sin_port = htons(9);	// discard: any port will do, nothing is sent
	if ((connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0) || (getsockname(fd, (struct sockaddr *)&address, &length) < 0))
		error = errno;
	close(fd);
	if (error)
		return ftpsockErrorName(error);
	return inet_ntop(AF_INET, &address.sin_addr, text, INET_ADDRSTRLEN);
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
			ftpsockListenerReport(listener, ftpsockErrorName(error));
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
		ftpsockListenerReport(listener, NULL);
		return G_SOURCE_CONTINUE;
	}
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

void ftpsockListenerDropAccepted(FtpSockListener listener)
{
	if (listener->accepted >= 0) {
		close(listener->accepted);
		listener->accepted = -1;
	}
}
