/*
 * The ECMA-419 listener of the Linux host (embedded:io/socket/listener): accepts into a queue
 * and hands each socket to the TCP object that read() is given.
 */
#include "tcp.h"

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
