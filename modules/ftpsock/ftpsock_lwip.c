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
#include "xsmc.h"
#include "xsHost.h"
#include "mc.defines.h"
#include "modTimer.h"
#include "modInstrumentation.h"

#include "../volume/volume.h"
#include "ftpsock_listing.h"

#include "lwip/opt.h"
#include "lwip/init.h"
#include "lwip/err.h"
#include "lwip/ip_addr.h"
#include "lwip/ip.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#if !NO_SYS
	#include "lwip/tcpip.h"
	#include "lwip/priv/tcpip_priv.h"
#endif

#ifndef MODDEF_FTPSOCK_BUFFER
	#define MODDEF_FTPSOCK_BUFFER (4096)
#endif
// Seconds a close waits for the peer to acknowledge what is queued before it resets.
#ifndef MODDEF_FTPSOCK_DRAIN
	#define MODDEF_FTPSOCK_DRAIN (30)
#endif
// The right peer may queue behind a wrong one (RFC 2577 port theft): room for both.
#define kBacklog (4)
// tcp_poll period, in TCP coarse timer ticks (500 ms): once a second, retries of what lwIP
// refused for memory, and the count of a draining close.
#define kPollInterval (2)
#define kDrainPolls (MODDEF_FTPSOCK_DRAIN)
// tcp_write() and tcp_recved() take 16-bit lengths.
#define kMaxChunk (0xFFFF)

#if LWIP_VERSION_MAJOR < 2
	#define IP_ADDR4 IP4_ADDR
#endif

enum {
	kStateIdle = 0,
	kStateConnecting,
	kStateSendFile,
	kStateSendBytes,
	kStateReceiveFile,
	kStateClosed
};

// What lwIP callbacks record (lwIP side, sticky).
enum {
	kEventConnected = 1 << 0,
	kEventFin = 1 << 1,
	kEventError = 1 << 2
};

typedef struct xsFtpSockConnectionRecord xsFtpSockConnectionRecord;
typedef xsFtpSockConnectionRecord *xsFtpSockConnection;

struct xsFtpSockConnectionRecord {
	// XS side
	xsMachine *the;
	xsSlot obj;					// the DataConnection; remembered while an operation is pending
	xsSlot *callback;			// of the pending operation; marked by the host hooks
	modTimer timer;				// idle timeout of the pending transfer
	uint32_t idleTimeout;		// ms; 0 = none
	VolumeFile file;
	FtpListing listing;			// sendListing: read like a file, into `buffer`
	uint8_t *buffer;			// sendFile: read from the file; send(): the bytes to send
	uint32_t bufferSize;
	uint32_t offset;			// next byte of `buffer` to hand to tcp_write()
	uint32_t length;			// bytes in `buffer`
	uint32_t lastAcked;			// `seenAcked` when progress was last seen
	uint64_t bytes;
	const char *startCode;		// why the pending operation failed as it began, reported by its first pump
	const char *writeCode;		// tcp_write() refused for another reason than memory
	ip_addr_t remote;
	uint16_t remotePort;
	uint8_t state;
	uint8_t remembered;
	uint8_t eof;
	uint8_t counted;			// in the NetworkSockets instrumentation

	// copies of the lwIP side, made in lwIP context for the XS side
	uint32_t seenAcked;
	err_t seenError;
	uint8_t seenEvents;

	// lwIP side
	struct tcp_pcb *pcb;		// NULL once detached, closed, aborted or reset
	struct xsFtpSockListenerRecord *listener;	// that accepted it, until it collects it
	struct pbuf *received;		// not yet taken by the XS side
	uint32_t acked;				// bytes ever acknowledged on this connection (wraps)
	err_t error;
	uint8_t events;
	uint8_t owned;				// an XS object refers to the record
	uint8_t posted;				// a message is on its way: it refers to the record
	uint8_t repost;				// posting failed: tcp_poll tries again
	uint8_t stalled;			// tcp_write() refused for memory with nothing in flight: tcp_poll retries
	uint8_t closing;
	uint8_t polls;				// tcp_poll rounds spent draining
};

typedef struct xsFtpSockListenerRecord xsFtpSockListenerRecord;
typedef xsFtpSockListenerRecord *xsFtpSockListener;

struct xsFtpSockListenerRecord {
	// XS side
	xsMachine *the;
	xsSlot obj;					// the DataListener: not remembered, so a dropped listener is collected
	xsSlot *callback;			// marked by the host hooks while the DataListener lives
	xsFtpSockConnection ready;	// accepted, collected, not yet taken by its DataConnection
	const char *failed;			// collected: why accepting failed
	ip_addr_t peer;
	uint16_t port;
	uint8_t counted;

	// lwIP side
	xsFtpSockListenerRecord *next;	// in gListening while listening
	struct tcp_pcb *pcb;		// listening; NULL once stopped
	xsFtpSockConnection accepted;	// not yet collected
	const char *error;
	uint8_t done;				// one connection accepted (or accepting failed): later ones are reset
	uint8_t owned;
	uint8_t posted;
	uint8_t repost;				// posting failed: the accepted connection's tcp_poll tries again
};

void xs_ftpsock_connection_destructor(void *data);
static void xs_ftpsock_connection_mark(xsMachine *the, void *it, xsMarkRoot markRoot);
void xs_ftpsock_listener_destructor(void *data);
static void xs_ftpsock_listener_mark(xsMachine *the, void *it, xsMarkRoot markRoot);

static const xsHostHooks ICACHE_RODATA_ATTR xsFtpSockConnectionHooks = {
	xs_ftpsock_connection_destructor,
	xs_ftpsock_connection_mark,
	NULL
};

static const xsHostHooks ICACHE_RODATA_ATTR xsFtpSockListenerHooks = {
	xs_ftpsock_listener_destructor,
	xs_ftpsock_listener_mark,
	NULL
};

// A pump's verdict besides an error code: NULL goes on waiting, kSettled succeeded.
static const char kSettled[] = "";

/*
	lwIP context
*/

typedef void (*LwipFunction)(void *context);

#if NO_SYS
// lwIP callbacks and XS share one thread: a plain call is already in lwIP context.
static void lwipRun(LwipFunction function, void *context)
{
	(*function)(context);
}
#else
typedef struct {
	struct tcpip_api_call_data call;		// first: tcpip_api_call() hands back its address
	LwipFunction function;
	void *context;
} LwipCallRecord;

static err_t lwipCall(struct tcpip_api_call_data *call)
{
	LwipCallRecord *record = (LwipCallRecord *)call;

	(*record->function)(record->context);
	return ERR_OK;
}

// Runs `function` in the tcpip thread (or under the core lock) and waits for it.
static void lwipRun(LwipFunction function, void *context)
{
	LwipCallRecord record;

	c_memset(&record, 0, sizeof(record));		// tcpip_api_call_data's members depend on lwipopts
	record.function = function;
	record.context = context;
	tcpip_api_call(lwipCall, &record.call);
}
#endif

static err_t connectionOnConnected(void *arg, struct tcp_pcb *pcb, err_t err);
static err_t connectionOnReceive(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err);
static err_t connectionOnSent(void *arg, struct tcp_pcb *pcb, u16_t length);
static err_t connectionOnPoll(void *arg, struct tcp_pcb *pcb);
static void connectionOnError(void *arg, err_t err);
static void connectionDeliver(void *the, void *refcon, uint8_t *message, uint16_t messageLength);
static void listenerDeliver(void *the, void *refcon, uint8_t *message, uint16_t messageLength);
static void listenerPost(struct xsFtpSockListenerRecord *listener);

static void connectionAttach(xsFtpSockConnection connection, struct tcp_pcb *pcb)
{
	connection->pcb = pcb;
	tcp_arg(pcb, connection);
	tcp_recv(pcb, connectionOnReceive);
	tcp_sent(pcb, connectionOnSent);
	tcp_err(pcb, connectionOnError);
	tcp_poll(pcb, connectionOnPoll, kPollInterval);
}

// Before the pcb is closed or aborted: no callback may reach the record afterwards.
static struct tcp_pcb *connectionDetach(xsFtpSockConnection connection)
{
	struct tcp_pcb *pcb = connection->pcb;

	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
	connection->pcb = NULL;
	return pcb;
}

// Frees the record once no owner is left. Returns 1 when it did: the caller must not touch it.
static int connectionRelease(xsFtpSockConnection connection)
{
	if (connection->owned || connection->pcb || connection->posted)
		return 0;
	if (connection->received)
		pbuf_free(connection->received);
	c_free(connection);
	return 1;
}

static void connectionPost(xsFtpSockConnection connection)
{
	if (connection->posted || !connection->owned)
		return;
	if (0 == modMessagePostToMachine(connection->the, NULL, 0, connectionDeliver, connection)) {
		connection->posted = 1;
		connection->repost = 0;
	}
	else
		connection->repost = 1;
}

// The lwIP side as the XS side may read it after lwipRun() returns.
static void connectionObserve(xsFtpSockConnection connection)
{
	connection->seenAcked = connection->acked;
	connection->seenError = connection->error;
	connection->seenEvents = connection->events;
}

static void connectionDiscardReceived(xsFtpSockConnection connection)
{
	if (!connection->received)
		return;
	if (connection->pcb)
		tcp_recved(connection->pcb, connection->received->tot_len);
	pbuf_free(connection->received);
	connection->received = NULL;
}

// Resets a detached pcb. A zero-window probe leaves snd_nxt one byte past what the peer took,
// and the reset carries snd_nxt: a peer whose window is closed drops a reset that is not at
// its next expected byte (RFC 5961 3.2; lwIP 2.1 and Linux alike) and waits on. With the window
// closed nothing is in flight past the last acknowledged byte, so the reset goes there.
static void connectionResetPcb(struct tcp_pcb *pcb)
{
	if (0 == pcb->snd_wnd)
		pcb->snd_nxt = pcb->lastack;
	tcp_abort(pcb);
}

// Closes once every queued byte is acknowledged (and no refused data waits, which would turn
// tcp_close() into a reset). Returns ERR_ABRT when it reset the pcb, for callbacks to return.
// May free the record.
static err_t connectionCloseTry(xsFtpSockConnection connection)
{
	struct tcp_pcb *pcb = connection->pcb;
	err_t err;

	if (tcp_sndqueuelen(pcb) || pcb->refused_data) {
		if (connection->polls < kDrainPolls)
			return ERR_OK;
		connectionResetPcb(connectionDetach(connection));
		connection->closing = 0;
		connectionRelease(connection);
		return ERR_ABRT;
	}
	connectionDetach(connection);
	err = tcp_close(pcb);
	if (ERR_OK != err) {
		connectionAttach(connection, pcb);		// out of memory for the FIN: tcp_poll tries again
		return ERR_OK;
	}
	connection->closing = 0;
	connectionRelease(connection);
	return ERR_OK;
}

err_t connectionOnConnected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	xsFtpSockConnection connection = arg;

	(void)pcb;
	(void)err;		// always ERR_OK: a failed connect is reported to tcp_err
	connection->events |= kEventConnected;
	connectionPost(connection);
	return ERR_OK;
}

err_t connectionOnReceive(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	xsFtpSockConnection connection = arg;

	(void)err;		// always ERR_OK
	if (!p) {
		connection->events |= kEventFin;
		connectionPost(connection);
		return ERR_OK;
	}
	if (connection->closing || !connection->owned) {
		// Nobody reads any more: taken as read, so that the close ends with FIN, not RST.
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	if (connection->received) {
		// The chain's tot_len is 16 bits; lwIP keeps what is refused and offers it again.
		if (((uint32_t)connection->received->tot_len + p->tot_len) > kMaxChunk)
			return ERR_MEM;
		pbuf_cat(connection->received, p);
	}
	else
		connection->received = p;
	connectionPost(connection);
	return ERR_OK;
}

err_t connectionOnSent(void *arg, struct tcp_pcb *pcb, u16_t length)
{
	xsFtpSockConnection connection = arg;

	(void)pcb;
	connection->acked += length;
	if (connection->closing)
		return connectionCloseTry(connection);
	connectionPost(connection);
	return ERR_OK;
}

err_t connectionOnPoll(void *arg, struct tcp_pcb *pcb)
{
	xsFtpSockConnection connection = arg;

	(void)pcb;
	if (connection->closing) {
		connection->polls++;
		return connectionCloseTry(connection);
	}
	if (connection->stalled || connection->repost) {
		connection->stalled = 0;
		connectionPost(connection);
	}
	if (connection->listener && connection->listener->repost)
		listenerPost(connection->listener);
	return ERR_OK;
}

// "The corresponding pcb is already freed when this callback is called!"
void connectionOnError(void *arg, err_t err)
{
	xsFtpSockConnection connection = arg;

	connection->pcb = NULL;
	connection->error = err;
	connection->events |= kEventError;
	connection->closing = 0;
	connectionPost(connection);
	connectionRelease(connection);
}

typedef struct {
	xsFtpSockConnection connection;
	struct pbuf *chain;			// taken from `received`
	uint32_t length;			// of `chain`, on flash
	uint8_t freed;
	err_t error;
} ConnectionStepRecord;

static void connectionCollectInLwip(void *context)
{
	ConnectionStepRecord *step = context;
	xsFtpSockConnection connection = step->connection;

	connection->posted = 0;
	connectionObserve(connection);
	step->freed = (uint8_t)connectionRelease(connection);
}

static void connectionKickInLwip(void *context)
{
	connectionPost(context);
}

static void connectionConnectInLwip(void *context)
{
	ConnectionStepRecord *step = context;
	xsFtpSockConnection connection = step->connection;
	struct tcp_pcb *pcb = tcp_new();

	if (!pcb) {
		step->error = ERR_MEM;
		return;
	}
	connectionAttach(connection, pcb);
	step->error = tcp_connect(pcb, &connection->remote, connection->remotePort, connectionOnConnected);
	if (ERR_OK != step->error)
		tcp_close(connectionDetach(connection));		// never connected: frees it
}

static void connectionAbortInLwip(void *context)
{
	xsFtpSockConnection connection = context;

	if (connection->pcb)
		connectionResetPcb(connectionDetach(connection));
	if (connection->received) {
		pbuf_free(connection->received);
		connection->received = NULL;
	}
}

// Starts the draining close.
static void connectionCloseInLwip(void *context)
{
	xsFtpSockConnection connection = context;

	connectionDiscardReceived(connection);
	if (!connection->pcb)
		return;
	connection->closing = 1;
	connection->polls = 0;
	connectionCloseTry(connection);		// the XS object still owns the record: not freed here
}

static void connectionDisownInLwip(void *context)
{
	xsFtpSockConnection connection = context;

	connection->owned = 0;
	connectionRelease(connection);
}

// Hands buffer[offset, length) to the stack, copied, as far as its send buffer allows.
static void connectionWriteInLwip(void *context)
{
	xsFtpSockConnection connection = context;
	struct tcp_pcb *pcb = connection->pcb;
	uint32_t length, available;
	uint8_t output = 0;
	err_t err;

	while (pcb && (connection->offset < connection->length)) {
		length = connection->length - connection->offset;
		available = tcp_sndbuf(pcb);
		if (length > available)
			length = available;
		if (length > kMaxChunk)
			length = kMaxChunk;
		if (!length)
			break;					// the send buffer is full: tcp_sent reports room
		err = tcp_write(pcb, connection->buffer + connection->offset, (u16_t)length, TCP_WRITE_FLAG_COPY);
		if (ERR_MEM == err) {		// out of segments or pbufs
			if (!tcp_sndqueuelen(pcb))
				connection->stalled = 1;		// nothing in flight, so no tcp_sent: poll
			break;
		}
		if (ERR_OK != err) {
			connection->writeCode = "ECONNRESET";	// the pcb no longer sends (ERR_CONN...)
			break;
		}
		connection->offset += length;
		connection->bytes += length;
		output = 1;
	}
	if (output)
		tcp_output(pcb);
	connectionObserve(connection);
}

static void connectionTakeInLwip(void *context)
{
	ConnectionStepRecord *step = context;
	xsFtpSockConnection connection = step->connection;

	step->chain = connection->received;
	connection->received = NULL;
	connectionObserve(connection);
}

// The chain's bytes are on flash (step->length of them): the window may open by as much.
static void connectionConsumedInLwip(void *context)
{
	ConnectionStepRecord *step = context;
	xsFtpSockConnection connection = step->connection;

	pbuf_free(step->chain);
	if (connection->pcb && step->length)
		tcp_recved(connection->pcb, (u16_t)step->length);
}

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
	if (0 == modMessagePostToMachine(listener->the, NULL, 0, listenerDeliver, listener)) {
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
static void connectionDropInLwip(void *context)
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
	connection->the = listener->the;
	connection->state = kStateClosed;		// until a DataConnection takes it
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
	XS side
*/

static xsFtpSockConnection connectionGet(xsMachine *the);
static xsFtpSockConnection connectionReady(xsMachine *the, xsSlot *callback);
static void connectionBegin(xsMachine *the, xsFtpSockConnection connection, uint8_t state, xsSlot *idleTimeout, xsSlot *callback);
static void connectionFinish(xsMachine *the, xsFtpSockConnection connection, const char *code);
static void connectionSettle(xsMachine *the, xsFtpSockConnection connection, uint8_t state, const char *code);
static void connectionReset(xsFtpSockConnection connection);
static void connectionUncount(xsFtpSockConnection connection);
static void connectionProgress(xsFtpSockConnection connection);
static void connectionOnTimer(modTimer timer, void *refcon, int refconSize);
static const char *pumpConnect(xsFtpSockConnection connection);
static const char *pumpSendFile(xsFtpSockConnection connection);
static const char *pumpSendBytes(xsFtpSockConnection connection);
static const char *pumpReceiveFile(xsFtpSockConnection connection);
static xsFtpSockConnection listenerTake(xsMachine *the, xsSlot *slot);
static void listenerDropReady(xsFtpSockListener listener);
static void listenerUncount(xsFtpSockListener listener);

// The contract's code for an lwIP error: what the FTP layer tells apart (ECONNRESET: 426,
// ETIMEDOUT, EREFUSED: 425), else a name for the log.
static const char *errorName(err_t error, uint8_t connecting)
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

static void parseAddress(xsMachine *the, xsSlot *slot, ip_addr_t *address)
{
	if ((xsStringType != xsmcTypeOf(*slot)) || !parseDottedQuad(xsmcToString(*slot), address))
		xsRangeError("invalid IPv4 address");
}

static int parsePort(xsMachine *the, xsSlot *slot)
{
	int port = xsmcToInteger(*slot);

	if ((port < 0) || (port > 65535))
		xsRangeError("invalid port");
	return port;
}

// (address, port, portMin, portMax, peer, callback): undefined, or the code of why no port
// could be bound (EADDRINUSE when the whole range is taken).
void xs_ftpsock_listener(xsMachine *the)
{
	xsFtpSockListener listener;
	ListenerStepRecord step;
	ip_addr_t peer;
	int port;

	c_memset(&step, 0, sizeof(step));
	parseAddress(the, &xsArg(0), &step.address);
	parseAddress(the, &xsArg(4), &peer);
	port = parsePort(the, &xsArg(1));
	step.portMin = parsePort(the, &xsArg(2));
	step.portMax = parsePort(the, &xsArg(3));
	if (!xsmcIsCallable(xsArg(5)))
		xsTypeError("no callback");
	if (step.portMin && step.portMax) {
		if (step.portMin > step.portMax)
			xsRangeError("invalid port range");
	}
	else
		step.portMin = step.portMax = port;

	listener = c_calloc(1, sizeof(xsFtpSockListenerRecord));
	if (!listener)
		xsUnknownError("no memory");
	listener->the = the;
	listener->obj = xsThis;
	listener->callback = xsmcToReference(xsArg(5));
	listener->peer = peer;
	listener->owned = 1;
	xsmcSetHostData(xsThis, listener);
	xsSetHostHooks(xsThis, (xsHostHooks *)&xsFtpSockListenerHooks);

	step.listener = listener;
	lwipRun(listenerBindInLwip, &step);
	if (ERR_OK != step.error) {
		xsmcSetString(xsResult, (char *)errorName(step.error, 0));
		return;
	}
	listener->counted = 1;
	modInstrumentationAdjust(NetworkSockets, +1);
}

void xs_ftpsock_listener_destructor(void *data)
{
	xsFtpSockListener listener = data;
	ListenerStepRecord step;

	if (!listener)
		return;
	listenerUncount(listener);
	c_memset(&step, 0, sizeof(step));
	step.listener = listener;
	step.disown = 1;
	lwipRun(listenerCloseInLwip, &step);		// may free the record
}

void xs_ftpsock_listener_mark(xsMachine *the, void *it, xsMarkRoot markRoot)
{
	xsFtpSockListener listener = it;

	if (listener->callback)
		(*markRoot)(the, listener->callback);
}

void xs_ftpsock_listener_close(xsMachine *the)
{
	xsFtpSockListener listener = xsmcGetHostDataValidate(xsThis, (void *)&xsFtpSockListenerHooks);
	ListenerStepRecord step;

	if (!listener)
		return;
	listenerUncount(listener);
	c_memset(&step, 0, sizeof(step));
	step.listener = listener;
	lwipRun(listenerCloseInLwip, &step);
}

void xs_ftpsock_listener_get_port(xsMachine *the)
{
	xsFtpSockListener listener = xsmcGetHostDataValidate(xsThis, (void *)&xsFtpSockListenerHooks);

	xsmcSetInteger(xsResult, listener ? listener->port : 0);
}

void listenerDeliver(void *context, void *refcon, uint8_t *message, uint16_t messageLength)
{
	xsMachine *the = context;
	xsFtpSockListener listener = refcon;
	ListenerStepRecord step;

	(void)message;
	(void)messageLength;
	c_memset(&step, 0, sizeof(step));
	step.listener = listener;
	lwipRun(listenerCollectInLwip, &step);
	if (step.freed || (!listener->ready && !listener->failed))
		return;
	listenerUncount(listener);		// it stopped listening
	// Calls back last: the callback may close the listener. A connection its DataConnection did
	// not take (the callback threw first) is reset here, then the exception goes on to the host.
	xsBeginHost(the);
	{
		xsTry {
			// The DataListener is `this` of the call: on the stack, it outlives the callback.
			if (listener->failed)
				xsCallFunction1(xsReference(listener->callback), listener->obj, xsString((char *)listener->failed));
			else
				xsCallFunction0(xsReference(listener->callback), listener->obj);
		}
		xsCatch {
			listenerDropReady(listener);
			xsThrow(xsException);
		}
		listenerDropReady(listener);
	}
	xsEndHost(the);
}

xsFtpSockConnection listenerTake(xsMachine *the, xsSlot *slot)
{
	xsFtpSockListener listener = xsmcGetHostDataValidate(*slot, (void *)&xsFtpSockListenerHooks);
	xsFtpSockConnection connection;

	if (!listener)
		return NULL;
	connection = listener->ready;
	listener->ready = NULL;
	return connection;
}

void listenerDropReady(xsFtpSockListener listener)
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
void xs_ftpsock_local_address_for(xsMachine *the)
{
	RouteRecord route;
	char text[48];

	c_memset(&route, 0, sizeof(route));
	parseAddress(the, &xsArg(0), &route.remote);
	lwipRun(routeInLwip, &route);
	if (!route.found || !ipaddr_ntoa_r(&route.local, text, sizeof(text)))
		xsmcSetString(xsResult, "ENETUNREACH");
	else
		xsmcSetString(xsResult, text);
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
	if (connection->listing) {
		ftpListingClose(connection->listing);
		connection->listing = NULL;
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
	connection->listing = listing;
	connection->bufferSize = MODDEF_FTPSOCK_BUFFER;
	connection->offset = connection->length = 0;
	connection->eof = 0;
	connectionBegin(the, connection, kStateSendFile, &xsArg(4), &xsArg(5));
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
	if (connection->listing) {
		ftpListingClose(connection->listing);
		connection->listing = NULL;
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

// What the stack took or the peer acknowledged since the last pump is progress.
static void connectionWritten(xsFtpSockConnection connection, uint64_t before)
{
	if ((before != connection->bytes) || (connection->lastAcked != connection->seenAcked)) {
		connection->lastAcked = connection->seenAcked;
		connectionProgress(connection);
	}
	modInstrumentationAdjust(NetworkBytesWritten, (int32_t)(connection->bytes - before));
}

// Hands the buffer to the stack as far as its send buffer allows, and refills it once it took
// all. Reads at most one buffer beyond what the stack took, so a transfer's turn is bounded by
// the send buffer and does not starve the other sessions.
const char *pumpSendFile(xsFtpSockConnection connection)
{
	uint64_t before;
	int32_t result;

	if (connection->startCode)
		return connection->startCode;
	for (;;) {
		before = connection->bytes;
		lwipRun(connectionWriteInLwip, connection);
		connectionWritten(connection, before);
		if (connection->seenEvents & kEventError)
			return errorName(connection->seenError, 0);
		if (connection->writeCode)
			return connection->writeCode;
		if (connection->offset < connection->length)
			return NULL;			// tcp_sent will report room
		if (connection->eof)
			return kSettled;		// the stack holds every byte
		if (connection->listing)
			result = ftpListingRead(connection->listing, connection->buffer, connection->bufferSize);
		else
			result = volumeRead(connection->file, connection->buffer, connection->bufferSize);
		if (result < 0)
			return volumeErrorName(result);
		connection->offset = 0;
		connection->length = (uint32_t)result;
		if (0 == result)
			connection->eof = 1;
	}
}

const char *pumpSendBytes(xsFtpSockConnection connection)
{
	uint64_t before = connection->bytes;

	if (connection->startCode)
		return connection->startCode;
	lwipRun(connectionWriteInLwip, connection);
	connectionWritten(connection, before);
	if (connection->writeCode)
		return connection->writeCode;
	if (connection->offset == connection->length)
		return kSettled;
	if (connection->seenEvents & kEventError)
		return errorName(connection->seenError, 0);
	return NULL;
}

// Writes what arrived straight from its pbufs, then lets lwIP open the window by as much.
const char *pumpReceiveFile(xsFtpSockConnection connection)
{
	ConnectionStepRecord step;
	struct pbuf *q;
	int32_t result = 0;
	uint32_t total = 0;

	if (connection->startCode)
		return connection->startCode;
	c_memset(&step, 0, sizeof(step));
	step.connection = connection;
	lwipRun(connectionTakeInLwip, &step);
	if (step.chain) {
		for (q = step.chain; q; q = q->next) {
			if (!q->len)
				continue;
			result = volumeWrite(connection->file, q->payload, q->len);
			if (result < 0)
				break;
			total += q->len;
		}
		step.length = (result < 0) ? 0 : total;		// a failed transfer resets: no window to open
		lwipRun(connectionConsumedInLwip, &step);
		if (total) {
			connection->bytes += total;
			connectionProgress(connection);
			modInstrumentationAdjust(NetworkBytesRead, (int32_t)total);
		}
	}
	if (result < 0)
		return volumeErrorName(result);
	if (connection->seenEvents & kEventFin)
		return kSettled;		// the client's FIN: end of file in stream mode (RFC 959 3.4.1)
	if (connection->seenEvents & kEventError)
		return errorName(connection->seenError, 0);
	return NULL;
}
