/*
 * The lwIP backend's DataListener (passive mode) and localAddressFor (ftpsock_backend.h): the
 * listening pcb, its accept callback (one connection, from the control connection's peer only)
 * and the XS side that collects what it accepted.
 */
#include "ftpsock_lwip.h"

/*
	Listener, lwIP context
*/

static err_t listenerOnAccept(void *arg, struct tcp_pcb *pcb, err_t err);

// The listeners with a listening pcb (lwIP side). lwIP 1.4 copies a listener's arg and accept
// function into each half-open connection at its SYN and calls them when the handshake ends,
// even after the listener closed; so the accept callback first checks its arg is still here.
static xsFtpSockListener gListening = NULL;

static int listenerRelease(xsFtpSockListener listener)
{
	if (listener->owned || listener->pcb || listener->posted)
		return 0;
	c_free(listener);
	return 1;
}

void listenerPost(xsFtpSockListener listener)
{
	if (listener->posted || !listener->owned)
		return;
	if (0 == modMessagePostToMachine(listener->base.the, NULL, 0, listenerDeliver, listener)) {
		listener->posted = 1;
		listener->repost = 0;
	}
	else
		listener->repost = 1;
}

static void listenerStopInLwip(xsFtpSockListener listener)
{
	struct tcp_pcb *pcb = listener->pcb;

	if (!pcb)
		return;
	tcp_arg(pcb, NULL);
	tcp_accept(pcb, NULL);
	tcp_close(pcb);			// a listening pcb closes at once
	listener->pcb = NULL;
	if (gListening == listener)
		gListening = listener->next;
	else {
		xsFtpSockListener walker;

		for (walker = gListening; walker; walker = walker->next) {
			if (walker->next == listener) {
				walker->next = listener->next;
				break;
			}
		}
	}
	listener->next = NULL;
}

// A connection no DataConnection took: reset, and no longer owned by anything in XS.
void connectionDropInLwip(void *context)
{
	xsFtpSockConnection connection = context;

	connectionAbortInLwip(connection);
	connection->owned = 0;
	connectionRelease(connection);
}

err_t listenerOnAccept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	xsFtpSockListener listener = arg, walker;
	xsFtpSockConnection connection;

	if (!pcb || (ERR_OK != err))
		return ERR_VAL;		// no pcb for a new connection: its SYN is dropped, the client retries
	for (walker = gListening; walker != listener; walker = walker->next) {
		if (!walker) {
			tcp_abort(pcb);		// its listener is gone (lwIP 1.4, see gListening)
			return ERR_ABRT;
		}
	}
	tcp_accepted(listener->pcb);
	// RFC 2577 (port theft): only the control connection's peer may take the data connection.
	if (listener->done || !ip_addr_cmp(&pcb->remote_ip, &listener->peer)) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	listener->done = 1;
	connection = c_calloc(1, sizeof(xsFtpSockConnectionRecord));
	if (!connection) {
		listener->error = "ENOMEM";
		listenerPost(listener);
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	connection->base.the = listener->base.the;
	connection->base.state = kStateClosed;		// until a DataConnection takes it
	connection->owned = 1;
	connection->remote = pcb->remote_ip;
	connection->remotePort = pcb->remote_port;
	connectionAttach(connection, pcb);
	connection->listener = listener;
	listener->accepted = connection;
	listenerPost(listener);
	return ERR_OK;
}

typedef struct {
	xsFtpSockListener listener;
	ip_addr_t address;
	int portMin;
	int portMax;
	err_t error;
	uint8_t disown;				// the XS object lets go of the record (destructor)
	uint8_t freed;
} ListenerStepRecord;

// Binds the first free port of the range and listens.
static void listenerBindInLwip(void *context)
{
	ListenerStepRecord *step = context;
	xsFtpSockListener listener = step->listener;
	struct tcp_pcb *pcb, *listening;
	int port;
	err_t err = ERR_USE;

	for (port = step->portMin; port <= step->portMax; port++) {
		pcb = tcp_new();
		if (!pcb) {
			err = ERR_MEM;
			break;
		}
		// A data port that the previous transfer left in TIME_WAIT can serve the next PASV.
#if LWIP_VERSION_MAJOR >= 2
		ip_set_option(pcb, SOF_REUSEADDR);
#else
		// lwIP 1.4.0 (Arduino core 2.3.0) has the option flags but not ip_set_option()
		pcb->so_options |= SOF_REUSEADDR;
#endif
		err = tcp_bind(pcb, &step->address, (u16_t)port);
		listening = NULL;
		if (ERR_OK == err) {
#if LWIP_VERSION_MAJOR >= 2
			// With SOF_REUSEADDR a port another pcb listens on is refused here, not by tcp_bind().
			listening = tcp_listen_with_backlog_and_err(pcb, kBacklog, &err);
#else
			listening = tcp_listen_with_backlog(pcb, kBacklog);
			err = listening ? ERR_OK : ERR_USE;
#endif
		}
		if (!listening) {
			tcp_close(pcb);		// never listened: frees it
			if (ERR_USE == err)
				continue;
			break;
		}
		listener->pcb = listening;
		listener->port = listening->local_port;
		listener->next = gListening;
		gListening = listener;
		tcp_arg(listening, listener);
		tcp_accept(listening, listenerOnAccept);
		err = ERR_OK;
		break;
	}
	step->error = err;
}

static void listenerCollectInLwip(void *context)
{
	ListenerStepRecord *step = context;
	xsFtpSockListener listener = step->listener;

	listener->posted = 0;
	if (listener->accepted) {
		listener->ready = listener->accepted;
		listener->ready->listener = NULL;
		listener->accepted = NULL;
	}
	listener->failed = listener->error;
	listener->error = NULL;
	if (listener->ready || listener->failed)
		listenerStopInLwip(listener);		// one connection per listener
	step->freed = (uint8_t)listenerRelease(listener);
}

static void listenerCloseInLwip(void *context)
{
	ListenerStepRecord *step = context;
	xsFtpSockListener listener = step->listener;

	listenerStopInLwip(listener);
	if (listener->accepted) {
		listener->accepted->listener = NULL;
		connectionDropInLwip(listener->accepted);
		listener->accepted = NULL;
	}
	if (listener->ready) {
		connectionDropInLwip(listener->ready);
		listener->ready = NULL;
	}
	listener->done = 1;
	if (step->disown) {
		listener->owned = 0;
		listenerRelease(listener);
	}
}

typedef struct {
	ip_addr_t remote;
	ip_addr_t local;
	uint8_t found;
} RouteRecord;

static void routeInLwip(void *context)
{
	RouteRecord *route = context;
	struct netif *netif;

#if LWIP_VERSION_MAJOR >= 2
	netif = ip4_route(ip_2_ip4(&route->remote));
	if (netif && !ip4_addr_isany_val(*netif_ip4_addr(netif))) {
		ip_addr_copy_from_ip4(route->local, *netif_ip4_addr(netif));
		route->found = 1;
	}
#else
	netif = ip_route(&route->remote);
	if (netif && !ip_addr_isany(&netif->ip_addr)) {
		route->local = netif->ip_addr;
		route->found = 1;
	}
#endif
}

/*
	Listener, XS side
*/

FtpSockListener ftpsockListenerCreate(void)
{
	xsFtpSockListener listener = c_calloc(1, sizeof(xsFtpSockListenerRecord));

	if (listener)
		listener->owned = 1;
	return listener;
}

const char *ftpsockListenerListen(FtpSockListener listener, FtpSockAddress address, int portMin, int portMax, FtpSockAddress peer)
{
	ListenerStepRecord step;

	c_memset(&step, 0, sizeof(step));
	ftpsockAddressToLwip(address, &step.address);
	ftpsockAddressToLwip(peer, &listener->peer);
	step.portMin = portMin;
	step.portMax = portMax;
	step.listener = listener;
	lwipRun(listenerBindInLwip, &step);
	if (ERR_OK != step.error)
		return errorName(step.error, 0);
	listener->counted = 1;
	modInstrumentationAdjust(NetworkSockets, +1);
	return NULL;
}

uint16_t ftpsockListenerPort(FtpSockListener listener)
{
	return listener->port;
}

void ftpsockListenerDestroy(FtpSockListener listener)
{
	ListenerStepRecord step;

	listenerUncount(listener);
	c_memset(&step, 0, sizeof(step));
	step.listener = listener;
	step.disown = 1;
	lwipRun(listenerCloseInLwip, &step);		// may free the record
}

void ftpsockListenerClose(FtpSockListener listener)
{
	ListenerStepRecord step;

	listenerUncount(listener);
	c_memset(&step, 0, sizeof(step));
	step.listener = listener;
	lwipRun(listenerCloseInLwip, &step);
}

void listenerDeliver(void *context, void *refcon, uint8_t *message, uint16_t messageLength)
{
	xsFtpSockListener listener = refcon;
	ListenerStepRecord step;

	(void)context;
	(void)message;
	(void)messageLength;
	c_memset(&step, 0, sizeof(step));
	step.listener = listener;
	lwipRun(listenerCollectInLwip, &step);
	if (step.freed || (!listener->ready && !listener->failed))
		return;
	listenerUncount(listener);		// it stopped listening
	// Calls back last: the callback may close the listener. A connection its DataConnection did
	// not take (the callback threw first) is reset, then the exception goes on to the host.
	ftpsockListenerReport(listener, listener->failed);
}

FtpSockConnection ftpsockConnectionAccepted(xsMachine *the, FtpSockListener listener)
{
	xsFtpSockConnection connection = listener->ready;

	(void)the;
	if (!connection)
		return NULL;
	listener->ready = NULL;
	connection->counted = 1;
	modInstrumentationAdjust(NetworkSockets, +1);
	return connection;
}

void ftpsockListenerDropAccepted(FtpSockListener listener)
{
	if (listener->ready) {
		lwipRun(connectionDropInLwip, listener->ready);
		listener->ready = NULL;
	}
}

void listenerUncount(xsFtpSockListener listener)
{
	if (listener->counted) {
		listener->counted = 0;
		modInstrumentationAdjust(NetworkSockets, -1);
	}
}

// (remote): the dotted quad of the address of the interface that routes to `remote` (the 227
// reply), or an error code.
const char *ftpsockLocalAddress(FtpSockAddress remote, char *text)
{
	RouteRecord route;

	c_memset(&route, 0, sizeof(route));
	ftpsockAddressToLwip(remote, &route.remote);
	lwipRun(routeInLwip, &route);
	if (!route.found || !ipaddr_ntoa_r(&route.local, text, 48))
		return "ENETUNREACH";
	return text;
}
