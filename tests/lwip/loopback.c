/*
 * ftpsock_lwip.c on a real lwIP stack: Debian's liblwip, which runs lwIP in its own tcpip thread
 * as ESP-IDF does on ESP32, while this program's main thread plays the XS machine (fakexs.c);
 * or lwIP built NO_SYS, as on the ESP8266, where lwIP and the XS machine take turns on one
 * thread (tests/emu runs it so on an emulated lx106).
 * Three netifs loop packets back: the server (10.0.0.1/24, default route), the FTP client
 * (10.0.0.2/32) and another host (10.0.0.3/32). The client side is raw-API pcbs on the same stack.
 *
 * The backend's host functions are called as ftpsock.js calls them, and the checks are the
 * contract's (ftpsock.d.ts) plus the rules of the lwIP backend: lwIP used only in lwIP context
 * (liblwip asserts its core lock), XS, volume and timers only on the XS thread and outside lwIP
 * context (fakexs.c aborts otherwise), read-ahead bounded by one ring, received bytes ahead of
 * the flash bounded by one TCP window, nothing left allocated, remembered or counted.
 *
 * Output is TAP-like: "ok - name" / "not ok - name: why", then a summary; exit status 1 on any
 * failure. A hang fails by SIGALRM.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lwip/opt.h"
#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"
#if NO_SYS
	#include "lwip/timeouts.h"
#else
	#include <semaphore.h>
	#include <signal.h>
	#include "lwip/tcpip.h"
	#include "lwip/priv/tcpip_priv.h"
#endif

#include "fake.h"
#include "shim/xsHost.h"
#include "shim/mc.defines.h"
#include "shim/modInstrumentation.h"

#if !LWIP_NETIF_LOOPBACK || !(NO_SYS || LWIP_TCPIP_CORE_LOCKING)
	#error "the loopback test needs lwIP with netif loopback, and NO_SYS or a tcpip thread with core locking (Debian's liblwip has them)"
#endif

#if NO_SYS
	// One thread: the test's own lwIP calls need no lock.
	#define LOCK_TCPIP_CORE()
	#define UNLOCK_TCPIP_CORE()
#endif

// The native functions ftpsock.js binds with @.
void xs_ftpsock_listener(xsMachine *the);
void xs_ftpsock_listener_destructor(void *data);
void xs_ftpsock_listener_get_port(xsMachine *the);
void xs_ftpsock_listener_close(xsMachine *the);
void xs_ftpsock_connection(xsMachine *the);
void xs_ftpsock_connection_destructor(void *data);
void xs_ftpsock_connection_send_file(xsMachine *the);
void xs_ftpsock_connection_receive_file(xsMachine *the);
void xs_ftpsock_connection_send(xsMachine *the);
void xs_ftpsock_connection_send_listing(xsMachine *the);
void xs_ftpsock_connection_abort(xsMachine *the);
void xs_ftpsock_connection_close(xsMachine *the);
void xs_ftpsock_connection_get_remoteAddress(xsMachine *the);
void xs_ftpsock_connection_get_remotePort(xsMachine *the);
void xs_ftpsock_connection_get_bytes(xsMachine *the);
void xs_ftpsock_connection_get_sinceEnd(xsMachine *the);
void xs_ftpsock_local_address_for(xsMachine *the);
void xs_ftpsock_source(xsMachine *the);
void xs_ftpsock_source_destructor(void *data);
void xs_ftpsock_source_get_size(xsMachine *the);
void xs_ftpsock_source_close(xsMachine *the);

#if !NO_SYS
// Linked with --wrap=tcpip_api_call: while the XS thread is inside, it holds lwIP's core.
err_t __real_tcpip_api_call(tcpip_api_call_fn fn, struct tcpip_api_call_data *call);
err_t __wrap_tcpip_api_call(tcpip_api_call_fn fn, struct tcpip_api_call_data *call)
{
	err_t err;

	fakeEnterLwip();
	err = __real_tcpip_api_call(fn, call);
	fakeLeaveLwip();
	return err;
}
#endif

#define kWindow (TCP_WND)
#define kReadAhead (TCP_SND_BUF + MODDEF_FTPSOCK_BUFFER)
#define kTimeout (20000)

static int gTests = 0;
static int gFailures = 0;
static int gFailed;
static const char *gName;

static void fail(int line, const char *format, ...)
{
	va_list list;

	if (!gFailed)
		printf("not ok - %s: ", gName);
	else
		printf("         also: ");
	va_start(list, format);
	vprintf(format, list);
	va_end(list);
	printf(" (loopback.c:%d)\n", line);
	gFailed = 1;
}

#define CHECK(condition, ...) do { if (!(condition)) { fail(__LINE__, __VA_ARGS__); return; } } while (0)

static void run(const char *name, void (*test)(void))
{
	uint32_t start = modMilliseconds();

	gName = name;
	gFailed = 0;
	gTests++;
	test();
	if (gFailed)
		gFailures++;
	else
		printf("ok - %s (%u ms)\n", name, modMilliseconds() - start);
}

/*
	The network
*/

static struct netif gServerNetif, gClientNetif, gThiefNetif;
static ip_addr_t gServerAddress, gClientAddress, gThiefAddress;

// Every packet here is for an address of the netif routing it, which lwIP loops back before
// calling output: anything else has nowhere to go.
static err_t netifOutput(struct netif *netif, struct pbuf *p, const ip4_addr_t *address)
{
	(void)netif;
	(void)p;
	(void)address;
	return ERR_RTE;
}

#if LWIP_IPV6
static err_t netifOutput6(struct netif *netif, struct pbuf *p, const ip6_addr_t *address)
{
	(void)netif;
	(void)p;
	(void)address;
	return ERR_RTE;
}
#endif

static err_t netifInit(struct netif *netif)
{
	netif->name[0] = 't';
	netif->name[1] = 'l';
	netif->output = netifOutput;
#if LWIP_IPV6
	netif->output_ip6 = netifOutput6;
#endif
	netif->mtu = 1500;
	return ERR_OK;
}

static void netifStart(struct netif *netif, ip_addr_t *address, const char *text, const char *mask)
{
	ip4_addr_t ip, netmask, gateway;

	ip4addr_aton(text, &ip);
	ip4addr_aton(mask, &netmask);
	ip4_addr_set_zero(&gateway);
	ip_addr_copy_from_ip4(*address, ip);
#if NO_SYS
	netif_add(netif, &ip, &netmask, &gateway, NULL, netifInit, netif_input);
#else
	netif_add(netif, &ip, &netmask, &gateway, NULL, netifInit, tcpip_input);
#endif
	netif_set_up(netif);
	netif_set_link_up(netif);
}

#if NO_SYS
// What the ESP8266's main loop does between its tasks: packets in, lwIP's timers. Until no
// packet is left in flight: a packet looped back on one netif answers one queued on another (a
// segment, then its ACK), and a network delivers both before the XS machine's next turn.
static void networkPoll(void)
{
	struct netif *netif;
	int moved;

	do {
		moved = 0;
		NETIF_FOREACH(netif) {
			if (netif->loop_first) {
				netif_poll(netif);
				moved = 1;
			}
		}
	} while (moved);
	sys_check_timeouts();
}

u32_t sys_now(void)
{
	return modMilliseconds();
}

static void networkStart(void)
{
	lwip_init();
	fakeSetNetworkPoll(networkPoll);
#else
static void tcpipStarted(void *context)
{
	sem_post(context);
}

static void networkStart(void)
{
	sem_t started;

	sem_init(&started, 0, 0);
	tcpip_init(tcpipStarted, &started);
	sem_wait(&started);
#endif
	LOCK_TCPIP_CORE();
	// The /24 first: lwIP's route lookup walks the newest netif first, so the /32s win for theirs.
	netifStart(&gServerNetif, &gServerAddress, "10.0.0.1", "255.255.255.0");
	netifStart(&gClientNetif, &gClientAddress, "10.0.0.2", "255.255.255.255");
	netifStart(&gThiefNetif, &gThiefAddress, "10.0.0.3", "255.255.255.255");
	netif_set_default(&gServerNetif);
	UNLOCK_TCPIP_CORE();
}

/*
	Peers: raw-API pcbs standing in for FTP clients. Their callbacks run in the tcpip thread
	under the core lock; the main thread reads them under the same lock.
*/

typedef struct {
	struct tcp_pcb *pcb;
	uint8_t *received;
	uint32_t receivedLength;
	uint32_t receivedCapacity;
	uint32_t unrecved;			// held while `hold`
	uint8_t hold;				// a client that stops reading: its window closes
	uint32_t acked;				// of what it sent
	const uint8_t *toSend;
	uint32_t toSendLength;
	uint32_t sent;
	uint8_t closeWhenSent;
	uint32_t sequenceStart;		// the first data byte's sequence number
	uint32_t transmitted;		// data bytes put on the wire so far
	uint8_t connected;
	uint8_t fin;
	uint8_t reset;
	err_t error;
	struct tcp_pcb *listening;	// active mode: the client's listener
} Peer;

static void peerPump(Peer *peer)
{
	uint32_t length;

	if (!peer->pcb)
		return;
	while (peer->sent < peer->toSendLength) {
		length = peer->toSendLength - peer->sent;
		if (length > tcp_sndbuf(peer->pcb))
			length = tcp_sndbuf(peer->pcb);
		if (length > 0xFFFF)
			length = 0xFFFF;
		if (!length || (ERR_OK != tcp_write(peer->pcb, peer->toSend + peer->sent, (u16_t)length, TCP_WRITE_FLAG_COPY)))
			break;
		peer->sent += length;
	}
	tcp_output(peer->pcb);
	if ((peer->sent == peer->toSendLength) && peer->closeWhenSent) {
		peer->closeWhenSent = 0;
		tcp_close(peer->pcb);		// FIN after the data; callbacks stay, the peer lives on
	}
}

static err_t peerOnConnected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	Peer *peer = arg;

	(void)err;
	peer->connected = 1;
	peer->sequenceStart = pcb->snd_nxt;
	peerPump(peer);
	return ERR_OK;
}

static err_t peerOnReceive(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	Peer *peer = arg;

	(void)err;
	if (!p) {
		peer->fin = 1;
		return ERR_OK;
	}
	if ((peer->receivedLength + p->tot_len) > peer->receivedCapacity) {
		peer->receivedCapacity = (peer->receivedLength + p->tot_len) * 2;
		peer->received = realloc(peer->received, peer->receivedCapacity);
		if (!peer->received)
			abort();
	}
	pbuf_copy_partial(p, peer->received + peer->receivedLength, p->tot_len, 0);
	peer->receivedLength += p->tot_len;
	if (peer->hold)
		peer->unrecved += p->tot_len;
	else
		tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static err_t peerOnSent(void *arg, struct tcp_pcb *pcb, u16_t length)
{
	Peer *peer = arg;

	(void)pcb;
	peer->acked += length;
	peerPump(peer);
	return ERR_OK;
}

static void peerOnError(void *arg, err_t err)
{
	Peer *peer = arg;

	peer->pcb = NULL;
	peer->reset = 1;
	peer->error = err;
}

static void peerAttach(Peer *peer, struct tcp_pcb *pcb)
{
	peer->pcb = pcb;
	tcp_arg(pcb, peer);
	tcp_recv(pcb, peerOnReceive);
	tcp_sent(pcb, peerOnSent);
	tcp_err(pcb, peerOnError);
}

static Peer *peerNew(void)
{
	Peer *peer = calloc(1, sizeof(Peer));		// never freed: lwIP may call back late

	if (!peer)
		abort();
	return peer;
}

static err_t peerConnect(Peer *peer, ip_addr_t *from, ip_addr_t *to, uint16_t port)
{
	struct tcp_pcb *pcb;
	err_t err;

	LOCK_TCPIP_CORE();
	pcb = tcp_new();
	err = tcp_bind(pcb, from, 0);
	if (ERR_OK == err) {
		peerAttach(peer, pcb);
		err = tcp_connect(pcb, to, port, peerOnConnected);
	}
	UNLOCK_TCPIP_CORE();
	return err;
}

static void peerSend(Peer *peer, const uint8_t *bytes, uint32_t length, int close)
{
	LOCK_TCPIP_CORE();
	peer->toSend = bytes;
	peer->toSendLength = length;
	peer->sent = 0;
	peer->closeWhenSent = (uint8_t)close;
	peerPump(peer);
	UNLOCK_TCPIP_CORE();
}

static void peerHold(Peer *peer, int hold)
{
	LOCK_TCPIP_CORE();
	peer->hold = (uint8_t)hold;
	while (!hold && peer->unrecved && peer->pcb) {
		u16_t length = (peer->unrecved > 0xFFFF) ? 0xFFFF : (u16_t)peer->unrecved;

		tcp_recved(peer->pcb, length);
		peer->unrecved -= length;
	}
	UNLOCK_TCPIP_CORE();
}

static void peerAbort(Peer *peer)
{
	LOCK_TCPIP_CORE();
	if (peer->pcb) {
		tcp_err(peer->pcb, NULL);		// the test's own reset is not the server's
		tcp_abort(peer->pcb);
		peer->pcb = NULL;
	}
	UNLOCK_TCPIP_CORE();
}

static void peerClose(Peer *peer)
{
	LOCK_TCPIP_CORE();
	if (peer->pcb) {
		tcp_arg(peer->pcb, NULL);
		tcp_recv(peer->pcb, NULL);
		tcp_sent(peer->pcb, NULL);
		tcp_err(peer->pcb, NULL);
		if (ERR_OK != tcp_close(peer->pcb))
			tcp_abort(peer->pcb);
		peer->pcb = NULL;
	}
	if (peer->listening) {
		tcp_close(peer->listening);
		peer->listening = NULL;
	}
	UNLOCK_TCPIP_CORE();
}

static Peer peerRead(Peer *peer)
{
	Peer copy;

	LOCK_TCPIP_CORE();
	copy = *peer;
	UNLOCK_TCPIP_CORE();
	return copy;
}

static err_t peerOnAccept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	Peer *peer = arg;

	if (!pcb || (ERR_OK != err) || peer->pcb)
		return ERR_VAL;
	peerAttach(peer, pcb);
	peer->connected = 1;
	return ERR_OK;
}

// Active mode: the client listens on its address.
static uint16_t peerListen(Peer *peer)
{
	struct tcp_pcb *pcb;
	uint16_t port = 0;

	LOCK_TCPIP_CORE();
	pcb = tcp_new();
	if (ERR_OK == tcp_bind(pcb, &gClientAddress, 0)) {
		peer->listening = tcp_listen(pcb);
		tcp_arg(peer->listening, peer);
		tcp_accept(peer->listening, peerOnAccept);
		port = peer->listening->local_port;
	}
	UNLOCK_TCPIP_CORE();
	return port;
}

static int peerEnded(void *context)
{
	Peer copy = peerRead(context);

	return copy.fin || copy.reset;
}

static int peerIsConnected(void *context)
{
	Peer copy = peerRead(context);

	return copy.connected || copy.reset;
}

/*
	The JS face, as ftpsock.js does it
*/

// Copies what fits: codes and messages are short.
static void copyText(char *to, size_t size, const char *from)
{
	size_t length = strnlen(from, size - 1);

	memcpy(to, from, length);
	to[length] = 0;
}

static xsSlot argString(const char *text)
{
	return xsString(text);
}

static xsSlot argNumber(double value)
{
	return xsNumber(value);
}

typedef struct {
	xsSlot *object;
	xsSlot *connection;		// the DataConnection onConnect received
	int connects;
	char error[32];
	char takeError[64];
} Listener;

// code => code ? onError(code) : onConnect(new DataConnection(this))
static void listenerCallback(xsMachine *the, xsSlot *function, xsSlot *thisSlot, int argc, xsSlot *argv)
{
	Listener *listener = function->closure;
	xsSlot args[3], *connection;
	const char *error;

	(void)the;
	if (argc && (xsStringType == argv[0].kind)) {
		copyText(listener->error, sizeof(listener->error), argv[0].text);
		return;
	}
	listener->connects++;
	connection = fakeNewHostObject(xs_ftpsock_connection_destructor);
	args[0] = *thisSlot;
	args[1] = xsUndefined;
	args[2] = xsUndefined;
	error = fakeInvoke(xs_ftpsock_connection, xsReference(connection), 3, args, NULL);
	if (error)
		copyText(listener->takeError, sizeof(listener->takeError), error);
	else
		listener->connection = connection;
}

// new DataListener({address, port, portMin, portMax, peer, onConnect, onError}): NULL, or the
// code (or exception) the constructor throws.
static const char *listenerOpen(Listener *listener, const char *address, int port, int portMin, int portMax, const char *peer)
{
	static char code[64];
	xsSlot args[6], result;
	const char *error;

	memset(listener, 0, sizeof(*listener));
	listener->object = fakeNewHostObject(xs_ftpsock_listener_destructor);
	args[0] = argString(address);
	args[1] = argNumber(port);
	args[2] = argNumber(portMin);
	args[3] = argNumber(portMax);
	args[4] = argString(peer);
	args[5] = xsReference(fakeNewFunction(listenerCallback, listener));
	error = fakeInvoke(xs_ftpsock_listener, xsReference(listener->object), 6, args, &result);
	if (error)
		return error;
	if (xsStringType == result.kind) {
		copyText(code, sizeof(code), result.text);
		return code;
	}
	return NULL;
}

static int listenerPort(Listener *listener)
{
	xsSlot result;

	if (fakeInvoke(xs_ftpsock_listener_get_port, xsReference(listener->object), 0, NULL, &result))
		return -1;
	return (int)result.number;
}

static void listenerClose(Listener *listener)
{
	fakeInvoke(xs_ftpsock_listener_close, xsReference(listener->object), 0, NULL, NULL);
}

static int listenerConnected(void *context)
{
	Listener *listener = context;

	return listener->connects || listener->error[0];
}

// The settled outcome of an operation: the promise's resolution or rejection.
typedef struct {
	int done;
	int calls;
	int argc;
	char code[32];
	double bytes;
} Outcome;

static void outcomeCallback(xsMachine *the, xsSlot *function, xsSlot *thisSlot, int argc, xsSlot *argv)
{
	Outcome *outcome = function->closure;

	(void)the;
	(void)thisSlot;
	outcome->calls++;
	outcome->done = 1;
	outcome->argc = argc;
	outcome->code[0] = 0;
	if (argc && (xsStringType == argv[0].kind))
		copyText(outcome->code, sizeof(outcome->code), argv[0].text);
	if (argc > 1)
		outcome->bytes = argv[1].number;
}

static int outcomeDone(void *context)
{
	return ((Outcome *)context)->done;
}

// The native call's own result: NULL when the operation started; else its code (or exception),
// which the JS face turns into a rejection.
static const char *invokeOperation(void (*function)(xsMachine *the), xsSlot *connection, int argc, xsSlot *args, Outcome *outcome)
{
	static char code[64];
	xsSlot result;
	const char *error;

	memset(outcome, 0, sizeof(*outcome));
	args[argc - 1] = xsReference(fakeNewFunction(outcomeCallback, outcome));
	error = fakeInvoke(function, xsReference(connection), argc, args, &result);
	if (error)
		return error;
	if (xsStringType == result.kind) {
		copyText(code, sizeof(code), result.text);
		return code;
	}
	return NULL;
}

static const char *sendFile(xsSlot *connection, const char *path, int offset, int idleTimeout, Outcome *outcome)
{
	xsSlot args[4] = { argString(path), argNumber(offset), argNumber(idleTimeout) };

	return invokeOperation(xs_ftpsock_connection_send_file, connection, 4, args, outcome);
}

// sendFile of a FileSource (`source`, a host object) instead of a path.
static const char *sendSource(xsSlot *connection, xsSlot *source, int offset, Outcome *outcome)
{
	xsSlot args[4] = { xsReference(source), argNumber(offset), argNumber(0) };

	return invokeOperation(xs_ftpsock_connection_send_file, connection, 4, args, outcome);
}

// new FileSource(path): the object, and in `code` what its constructor threw ("" once open).
static xsSlot *sourceOpen(const char *path, char *code, size_t size)
{
	xsSlot *source = fakeNewHostObject(xs_ftpsock_source_destructor);
	xsSlot args[1] = { argString(path) };
	const char *error = fakeInvoke(xs_ftpsock_source, xsReference(source), 1, args, NULL);

	copyText(code, size, error ? error : "");
	return source;
}

static const char *receiveFile(xsSlot *connection, const char *path, const char *mode, int offset, int idleTimeout, Outcome *outcome)
{
	xsSlot args[5] = { argString(path), argString(mode), argNumber(offset), argNumber(idleTimeout) };

	return invokeOperation(xs_ftpsock_connection_receive_file, connection, 5, args, outcome);
}

static const char *sendData(xsSlot *connection, xsSlot data, Outcome *outcome)
{
	xsSlot args[2] = { data };

	return invokeOperation(xs_ftpsock_connection_send, connection, 2, args, outcome);
}

// DataConnection.connect({address, port, onConnect, onError})
static xsSlot *connectTo(const char *address, int port, Outcome *outcome, const char **immediate)
{
	xsSlot *connection = fakeNewHostObject(xs_ftpsock_connection_destructor);
	xsSlot args[3] = { argString(address), argNumber(port) };

	*immediate = invokeOperation(xs_ftpsock_connection, connection, 3, args, outcome);
	return connection;
}

static void connectionCall(void (*function)(xsMachine *the), xsSlot *connection)
{
	fakeInvoke(function, xsReference(connection), 0, NULL, NULL);
}

static xsSlot connectionGet(void (*function)(xsMachine *the), xsSlot *connection)
{
	xsSlot result;

	if (fakeInvoke(function, xsReference(connection), 0, NULL, &result))
		result = xsUndefined;
	return result;
}

static int isTrue(xsSlot slot)
{
	return (xsBooleanType == slot.kind) && slot.number;
}

static int isFalse(xsSlot slot)
{
	return (xsBooleanType == slot.kind) && !slot.number;
}

// memcmp() for buffers that may be empty (and so NULL).
static int sameBytes(const void *a, const void *b, size_t length)
{
	return !length || !memcmp(a, b, length);
}

static uint8_t *pattern(uint32_t length, uint32_t seed)
{
	uint8_t *bytes = malloc(length ? length : 1);
	uint32_t i, state = seed * 2654435761u + 1;

	if (!bytes)
		abort();
	for (i = 0; i < length; i++) {
		state = (state * 1103515245u) + 12345u;
		bytes[i] = (uint8_t)(state >> 16);
	}
	return bytes;
}

// A passive listener for the client, the client's connection to it, and the DataConnection.
static xsSlot *passive(Listener *listener, Peer *peer, ip_addr_t *from)
{
	const char *code = listenerOpen(listener, "0.0.0.0", 0, 0, 0, "10.0.0.2");
	int port;

	if (code) {
		fail(__LINE__, "DataListener: %s", code);
		return NULL;
	}
	port = listenerPort(listener);
	if (ERR_OK != peerConnect(peer, from, &gServerAddress, (uint16_t)port)) {
		fail(__LINE__, "client connect");
		return NULL;
	}
	if (!fakeServiceUntil(listenerConnected, listener, kTimeout) || !listener->connection) {
		fail(__LINE__, "no connection accepted (%s %s)", listener->error, listener->takeError);
		return NULL;
	}
	return listener->connection;
}

static int closedCleanly(xsSlot *connection)
{
	connectionCall(xs_ftpsock_connection_close, connection);
	return fakeCollect(connection);
}

/*
	Invariants the volume hook checks (transfers from offset 0, so the position is the count)
*/

static Peer *gWatched;
static uint32_t gWatchLimit;
static int32_t gWatchMax;
static int gWatchBroken;

// Before each read: the backend refills its buffer only once the stack took all of it, and the
// stack holds at most its send buffer beyond what the client acknowledged (hence received); so
// what is read runs at most TCP_SND_BUF plus one buffer ahead of the client.
static uint32_t gReadPosition;

static void readAheadHook(int writing, uint32_t length, uint32_t position)
{
	Peer copy;
	int32_t ahead;

	if (writing || !gWatched)
		return;
	gReadPosition = position + length;
	copy = peerRead(gWatched);
	ahead = (int32_t)(position + length - copy.receivedLength);
	if (ahead > (int32_t)gWatchLimit)
		gWatchBroken = 1;
	if (ahead > gWatchMax)
		gWatchMax = ahead;
}

// Before each write: the client may transmit only up to the right edge of the window the
// server advertises, which moves on only when bytes are on flash (tcp_recved after the write);
// so what it transmitted runs at most one window ahead of what is written.
static void writeBehindHook(int writing, uint32_t length, uint32_t position)
{
	int32_t ahead;

	(void)length;
	if (!writing || !gWatched)
		return;
	LOCK_TCPIP_CORE();
	if (gWatched->pcb && gWatched->connected)
		gWatched->transmitted = gWatched->pcb->snd_nxt - gWatched->sequenceStart;
	ahead = (int32_t)(gWatched->transmitted - position);
	UNLOCK_TCPIP_CORE();
	if (ahead > (int32_t)(gWatchLimit + 1))		// + 1: the FIN takes a sequence number
		gWatchBroken = 1;
	if (ahead > gWatchMax)
		gWatchMax = ahead;
}

static void watch(Peer *peer, FakeVolumeHook hook, uint32_t limit)
{
	gWatched = peer;
	gWatchLimit = limit;
	gWatchMax = 0;
	gWatchBroken = 0;
	fakeVolumeSetHook(peer ? hook : NULL);
}

/*
	Tests
*/

static void testLocalAddress(void)
{
	static const struct { const char *remote, *local; } cases[] = {
		{ "10.0.0.77", "10.0.0.1" },		// on the server's /24
		{ "192.0.2.5", "10.0.0.1" },		// through the default netif
		{ "10.0.0.2", "10.0.0.2" },			// the interface that reaches it is its own
	};
	xsSlot args[1], result;
	const char *error;
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		args[0] = argString(cases[i].remote);
		error = fakeInvoke(xs_ftpsock_local_address_for, xsUndefined, 1, args, &result);
		CHECK(!error, "%s threw %s", cases[i].remote, error);
		CHECK((xsStringType == result.kind) && !strcmp(result.text, cases[i].local), "localAddressFor(%s) = %s, expected %s", cases[i].remote, result.text, cases[i].local);
	}
	args[0] = argString("10.0.0");
	error = fakeInvoke(xs_ftpsock_local_address_for, xsUndefined, 1, args, &result);
	CHECK(error && strstr(error, "RangeError"), "a bad address: %s", error ? error : "no exception");
	args[0] = argString("10.0.0.01");
	error = fakeInvoke(xs_ftpsock_local_address_for, xsUndefined, 1, args, &result);
	CHECK(error && strstr(error, "RangeError"), "leading zero: %s", error ? error : "no exception");
}

static void sendFileOfSize(uint32_t size, uint32_t offset)
{
	Listener listener;
	Peer *peer = peerNew();
	Outcome outcome;
	uint8_t *bytes = pattern(size, size);
	const char *code;
	xsSlot *connection, value;
	Peer copy;

	fakeVolumePut("/down.bin", bytes, size);
	connection = passive(&listener, peer, &gClientAddress);
	if (!connection)
		return;
	value = connectionGet(xs_ftpsock_connection_get_remoteAddress, connection);
	CHECK((xsStringType == value.kind) && !strcmp(value.text, "10.0.0.2"), "remoteAddress %s", value.text);
	value = connectionGet(xs_ftpsock_connection_get_remotePort, connection);
	LOCK_TCPIP_CORE();
	CHECK(value.number == peer->pcb->local_port, "remotePort %g", value.number);
	UNLOCK_TCPIP_CORE();
	watch(offset ? NULL : peer, readAheadHook, kReadAhead);
	code = sendFile(connection, "/down.bin", (int)offset, 0, &outcome);
	CHECK(!code, "sendFile: %s", code);
	CHECK(fakeServiceUntil(outcomeDone, &outcome, kTimeout), "sendFile of %u bytes did not settle", size);
	CHECK(!outcome.code[0], "sendFile rejected: %s", outcome.code);
	if (offset > size)
		offset = size;		// past the end: nothing to send
	CHECK(outcome.bytes == (size - offset), "sendFile resolved %g, expected %u", outcome.bytes, size - offset);
	CHECK(!gWatchBroken, "read %d bytes ahead of the client (bound %u)", gWatchMax, kReadAhead);
	value = connectionGet(xs_ftpsock_connection_get_bytes, connection);
	CHECK(value.number == (size - offset), "bytes %g", value.number);
	CHECK(closedCleanly(connection), "not collectable after close");
	CHECK(fakeServiceUntil(peerEnded, peer, kTimeout), "no FIN");
	copy = peerRead(peer);
	CHECK(!copy.reset, "reset (%d) instead of FIN", copy.error);
	CHECK(copy.receivedLength == (size - offset), "client received %u of %u", copy.receivedLength, size - offset);
	CHECK(sameBytes(copy.received, bytes + offset, size - offset), "client received other bytes");
	watch(NULL, NULL, 0);
	peerClose(peer);
	fakeCollect(listener.object);
	free(bytes);
}

// A FileSource opened before the connection (RETR's order: the size for the 150 first), then
// taken over by sendFile from an offset; one closed unsent and one dropped leave nothing open.
static void testSendSource(void)
{
	Listener listener;
	Peer *peer = peerNew();
	Outcome outcome;
	uint32_t size = 50000, offset = 1234;
	uint8_t *bytes = pattern(size, 5);
	xsSlot *source, *connection, value;
	char code[64];
	const char *error;
	Peer copy;

	fakeVolumePut("/source.bin", bytes, size);
	source = sourceOpen("/missing.bin", code, sizeof(code));
	CHECK(!strcmp(code, "Error: ENOENT"), "a missing file: %s", code);
	CHECK(!fakeVolumeOpenFiles() && fakeCollect(source), "a missing file left something open");
	source = sourceOpen("/source.bin", code, sizeof(code));
	CHECK(!code[0], "open: %s", code);
	CHECK(1 == fakeVolumeOpenFiles(), "%d files open", fakeVolumeOpenFiles());
	CHECK(!fakeInvoke(xs_ftpsock_source_get_size, xsReference(source), 0, NULL, &value) && (value.number == size), "size %g", value.number);
	fakeInvoke(xs_ftpsock_source_close, xsReference(source), 0, NULL, NULL);
	CHECK(!fakeVolumeOpenFiles(), "close left the file open");
	fakeInvoke(xs_ftpsock_source_close, xsReference(source), 0, NULL, NULL);		// again: nothing
	CHECK(fakeCollect(source), "not collectable");
	source = sourceOpen("/source.bin", code, sizeof(code));
	CHECK(fakeCollect(source) && !fakeVolumeOpenFiles(), "the destructor left the file open");

	source = sourceOpen("/source.bin", code, sizeof(code));
	connection = passive(&listener, peer, &gClientAddress);
	if (!connection)
		return;
	CHECK(!sendSource(connection, source, (int)offset, &outcome), "sendFile of a FileSource");
	error = fakeInvoke(xs_ftpsock_source_get_size, xsReference(source), 0, NULL, &value);
	CHECK(error && strstr(error, "closed"), "a taken FileSource still tells its size: %s", error ? error : "no exception");
	CHECK(fakeServiceUntil(outcomeDone, &outcome, kTimeout), "sendFile did not settle");
	CHECK(!outcome.code[0] && (outcome.bytes == (size - offset)), "sendFile: %s %g", outcome.code, outcome.bytes);
	CHECK(!fakeVolumeOpenFiles(), "file left open after the transfer");
	CHECK(sendSource(connection, source, 0, &outcome) != NULL, "a taken FileSource was sent again");
	CHECK(closedCleanly(connection), "not collectable after close");
	CHECK(fakeServiceUntil(peerEnded, peer, kTimeout), "no FIN");
	copy = peerRead(peer);
	CHECK((copy.receivedLength == (size - offset)) && sameBytes(copy.received, bytes + offset, size - offset), "client received %u of %u bytes, or others", copy.receivedLength, size - offset);
	CHECK(fakeCollect(source), "not collectable");
	peerClose(peer);
	fakeCollect(listener.object);
	free(bytes);
}

// A folder's listing made natively (ftpsock_listing.c) and sent through the backend's buffer:
// many lines, long names, so lines are split between buffers.
static void sendListing(int format, int writable)
{
	Listener listener;
	Peer *peer = peerNew();
	Outcome outcome;
	xsSlot *connection;
	xsSlot args[6];
	char name[96], *expected;
	uint32_t length = 0, capacity = 300 * 200;
	const char *code;
	Peer copy;
	int i;

	expected = malloc(capacity);
	if (!expected)
		abort();
	// the fake volume lists the newest file first
	for (i = 299; i >= 0; i--) {
		snprintf(name, sizeof(name), "/listed/entry %03d %.*s", i, i % 60, "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn");
		if (1 == format)
			length += snprintf(expected + length, capacity - length, "%s\r\n", name + 8);
		else
			length += snprintf(expected + length, capacity - length, "type=file;size=%d;modify=20231114221320;perm=%s; %s\r\n", i * 3, writable ? "adfrw" : "r", name + 8);
	}
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "/listed/entry %03d %.*s", i, i % 60, "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn");
		fakeVolumePut(name, expected, (uint32_t)i * 3);
	}
	fakeVolumePut("/listed/sub/not-listed", "x", 1);
	fakeVolumePut("/elsewhere", "x", 1);
	connection = passive(&listener, peer, &gClientAddress);
	if (!connection) {
		free(expected);
		return;
	}
	args[0] = argString("/listed");
	args[1] = argNumber(format);
	args[2] = argNumber(writable);
	args[3] = argNumber(kFakeVolumeTime + 60);
	args[4] = argNumber(0);
	code = invokeOperation(xs_ftpsock_connection_send_listing, connection, 6, args, &outcome);
	CHECK(!code, "sendListing: %s", code);
	CHECK(fakeServiceUntil(outcomeDone, &outcome, kTimeout), "sendListing did not settle");
	CHECK(!outcome.code[0], "sendListing rejected: %s", outcome.code);
	CHECK(outcome.bytes == length, "sendListing resolved %g, expected %u", outcome.bytes, length);
	CHECK(closedCleanly(connection), "not collectable after close");
	CHECK(fakeServiceUntil(peerEnded, peer, kTimeout), "no FIN");
	copy = peerRead(peer);
	CHECK(!copy.reset, "reset (%d) instead of FIN", copy.error);
	CHECK(copy.receivedLength == length, "client received %u of %u", copy.receivedLength, length);
	CHECK(sameBytes(copy.received, (const uint8_t *)expected, length), "client received other bytes");
	peerClose(peer);
	fakeCollect(listener.object);
	free(expected);
}

static void testSendListings(void)
{
	sendListing(1, 1);
	if (!gFailed)
		sendListing(2, 1);
	if (!gFailed)
		sendListing(2, 0);
}

static void testSendFiles(void)
{
	static const uint32_t sizes[] = { 0, 1, 1460, MODDEF_FTPSOCK_BUFFER, MODDEF_FTPSOCK_BUFFER + 1, 65536 + 7, (1024 * 1024) + 3 };
	unsigned i;

	for (i = 0; (i < sizeof(sizes) / sizeof(sizes[0])) && !gFailed; i++)
		sendFileOfSize(sizes[i], 0);
}

static void testSendFileFromOffset(void)
{
	sendFileOfSize(100000, 33333);
	if (!gFailed)
		sendFileOfSize(10, 20);		// past the end: nothing
}

// A client that stops reading: its window closes, the send stops, the file is not read on
// beyond the stack's send buffer and one buffer; when it reads again, everything arrives.
static void testSendFileFlowControl(void)
{
	uint32_t size = 1024 * 1024;
	Listener listener;
	Peer *peer = peerNew();
	Outcome outcome;
	uint8_t *bytes = pattern(size, 7);
	xsSlot *connection;
	uint32_t stalled, readStalled;
	Peer copy;

	fakeVolumePut("/big.bin", bytes, size);
	connection = passive(&listener, peer, &gClientAddress);
	if (!connection)
		return;
	peerHold(peer, 1);
	watch(peer, readAheadHook, kReadAhead);
	CHECK(!sendFile(connection, "/big.bin", 0, 0, &outcome), "sendFile");
	fakeService(600);
	copy = peerRead(peer);
	stalled = copy.receivedLength;
	readStalled = gReadPosition;
	CHECK(!outcome.done, "settled while the client does not read");
	CHECK(stalled <= (kWindow + 1460), "client holds %u bytes, more than its window", stalled);
	CHECK(readStalled < size, "read the whole file into a closed window");
	fakeService(300);
	copy = peerRead(peer);
	CHECK(copy.receivedLength == stalled, "sent on into a closed window (%u, then %u)", stalled, copy.receivedLength);
	CHECK(gReadPosition == readStalled, "read on from flash into a closed window (%u, then %u)", readStalled, gReadPosition);
	peerHold(peer, 0);
	CHECK(fakeServiceUntil(outcomeDone, &outcome, kTimeout), "did not settle");
	CHECK(!outcome.code[0] && (outcome.bytes == size), "settled %s %g", outcome.code, outcome.bytes);
	CHECK(!gWatchBroken, "read %d bytes ahead of the client (bound %u)", gWatchMax, kReadAhead);
	CHECK(closedCleanly(connection), "not collectable after close");
	CHECK(fakeServiceUntil(peerEnded, peer, kTimeout), "no FIN");
	copy = peerRead(peer);
	CHECK((copy.receivedLength == size) && sameBytes(copy.received, bytes, size), "client received %u bytes, or other bytes", copy.receivedLength);
	watch(NULL, NULL, 0);
	peerClose(peer);
	fakeCollect(listener.object);
	free(bytes);
}

static void receiveFileOfSize(uint32_t size, int delay)
{
	Listener listener;
	Peer *peer = peerNew();
	Outcome outcome;
	uint8_t *bytes = pattern(size, size + 1);
	const uint8_t *stored;
	uint32_t length = 0;
	xsSlot *connection;
	const char *code;
	Peer copy;
	xsSlot value;

	connection = passive(&listener, peer, &gClientAddress);
	if (!connection)
		return;
	fakeVolumeSetWriteDelay(delay);
	watch(peer, writeBehindHook, kWindow);
	code = receiveFile(connection, "/up.bin", "w", 0, 0, &outcome);
	CHECK(!code, "receiveFile: %s", code);
	peerSend(peer, bytes, size, 1);
	CHECK(fakeServiceUntil(outcomeDone, &outcome, kTimeout * 3), "receiveFile of %u bytes did not settle", size);
	fakeVolumeSetWriteDelay(0);
	CHECK(!outcome.code[0], "receiveFile rejected: %s", outcome.code);
	CHECK(outcome.bytes == size, "receiveFile resolved %g, expected %u", outcome.bytes, size);
	// the FIN's time is known (tcppeer's grace is timed from it), within the wait for the outcome
	value = connectionGet(xs_ftpsock_connection_get_sinceEnd, connection);
	CHECK((xsNumberType == value.kind) && (value.number >= 0) && (value.number <= (kTimeout * 3 * 1000.0)), "sinceEnd %g after a FIN", value.number);
	CHECK(!gWatchBroken, "the client ran %d bytes ahead of the flash (window %u)", gWatchMax, kWindow);
	if (delay)
		CHECK(gWatchMax > (kWindow / 2), "the slow flash never held the client back (at most %d bytes ahead)", gWatchMax);
	stored = fakeVolumeGet("/up.bin", &length);
	CHECK(stored && (length == size) && sameBytes(stored, bytes, size), "file has %u bytes, or other bytes", length);
	CHECK(!fakeVolumeOpenFiles(), "file left open");
	CHECK(closedCleanly(connection), "not collectable after close");
	copy = peerRead(peer);
	CHECK(fakeServiceUntil(peerEnded, peer, kTimeout), "no FIN from the server");
	copy = peerRead(peer);
	CHECK(!copy.reset, "reset (%d) instead of FIN", copy.error);
	watch(NULL, NULL, 0);
	peerClose(peer);
	fakeCollect(listener.object);
	free(bytes);
}

static void testReceiveFiles(void)
{
	static const uint32_t sizes[] = { 0, 1, 1460, 100000, (1024 * 1024) + 5 };
	unsigned i;

	for (i = 0; (i < sizeof(sizes) / sizeof(sizes[0])) && !gFailed; i++)
		receiveFileOfSize(sizes[i], 0);
}

static void testReceiveSlowFlash(void)
{
	receiveFileOfSize(512 * 1024, 400);		// µs per pbuf: a flash slower than the loopback
}

static void testReceiveAppendAndResume(void)
{
	Listener listener;
	Peer *peer;
	Outcome outcome;
	const uint8_t *stored;
	uint32_t length = 0;
	xsSlot *connection;

	fakeVolumePut("/resume.bin", "0123456789", 10);
	peer = peerNew();
	connection = passive(&listener, peer, &gClientAddress);
	if (!connection)
		return;
	CHECK(!receiveFile(connection, "/resume.bin", "w", 4, 0, &outcome), "receiveFile w at 4");
	peerSend(peer, (const uint8_t *)"abc", 3, 1);
	CHECK(fakeServiceUntil(outcomeDone, &outcome, kTimeout) && !outcome.code[0] && (3 == outcome.bytes), "resume: %s %g", outcome.code, outcome.bytes);
	stored = fakeVolumeGet("/resume.bin", &length);
	CHECK((10 == length) && sameBytes(stored, "0123abc789", 10), "resume wrote %.*s", (int)length, stored);
	closedCleanly(connection);
	peerClose(peer);
	fakeCollect(listener.object);

	peer = peerNew();
	connection = passive(&listener, peer, &gClientAddress);
	if (!connection)
		return;
	CHECK(!receiveFile(connection, "/resume.bin", "a", 0, 0, &outcome), "receiveFile a");
	peerSend(peer, (const uint8_t *)"XY", 2, 1);
	CHECK(fakeServiceUntil(outcomeDone, &outcome, kTimeout) && !outcome.code[0] && (2 == outcome.bytes), "append: %s %g", outcome.code, outcome.bytes);
	stored = fakeVolumeGet("/resume.bin", &length);
	CHECK((12 == length) && sameBytes(stored, "0123abc789XY", 12), "append wrote %.*s", (int)length, stored);
	closedCleanly(connection);
	peerClose(peer);
	fakeCollect(listener.object);
}

static void testReceiveNoSpace(void)
{
	Listener listener;
	Peer *peer = peerNew();
	Outcome outcome;
	uint8_t *bytes = pattern(200000, 3);
	xsSlot *connection;

	connection = passive(&listener, peer, &gClientAddress);
	if (!connection)
		return;
	fakeVolumeSetCapacity(50000);
	CHECK(!receiveFile(connection, "/full.bin", "w", 0, 0, &outcome), "receiveFile");
	peerSend(peer, bytes, 200000, 1);
	CHECK(fakeServiceUntil(outcomeDone, &outcome, kTimeout), "did not settle");
	fakeVolumeSetCapacity(0);
	CHECK(!strcmp(outcome.code, "ENOSPC"), "rejected with %s, expected ENOSPC", outcome.code);
	CHECK(outcome.bytes <= 50000, "reported %g bytes", outcome.bytes);
	CHECK(!fakeVolumeOpenFiles(), "file left open");
	CHECK(fakeServiceUntil(peerEnded, peer, kTimeout) && peerRead(peer).reset, "the client was not reset");
	CHECK(closedCleanly(connection), "not collectable after close");
	peerClose(peer);
	fakeCollect(listener.object);
	free(bytes);
}

// RFC 2577: a connection from another address is reset at once; the client's still gets in.
static void testWrongPeer(void)
{
	Listener listener;
	Peer *thief = peerNew(), *peer = peerNew();
	Outcome outcome;
	const char *code;
	int port;
	Peer copy;

	code = listenerOpen(&listener, "0.0.0.0", 0, 0, 0, "10.0.0.2");
	CHECK(!code, "DataListener: %s", code);
	port = listenerPort(&listener);
	CHECK(ERR_OK == peerConnect(thief, &gThiefAddress, &gServerAddress, (uint16_t)port), "thief connect");
	CHECK(fakeServiceUntil(peerEnded, thief, kTimeout), "the thief was not reset");
	copy = peerRead(thief);
	CHECK(copy.reset && (ERR_RST == copy.error), "the thief ended with %d", copy.error);
	CHECK(!listener.connects && !listener.error[0], "onConnect/onError for the thief (%d, %s)", listener.connects, listener.error);
	fakeVolumePut("/small.bin", "hello", 5);
	CHECK(ERR_OK == peerConnect(peer, &gClientAddress, &gServerAddress, (uint16_t)port), "client connect");
	CHECK(fakeServiceUntil(listenerConnected, &listener, kTimeout) && listener.connection, "the client was not accepted");
	CHECK(!sendFile(listener.connection, "/small.bin", 0, 0, &outcome), "sendFile");
	CHECK(fakeServiceUntil(outcomeDone, &outcome, kTimeout) && !outcome.code[0] && (5 == outcome.bytes), "sendFile: %s %g", outcome.code, outcome.bytes);
	CHECK(closedCleanly(listener.connection), "not collectable");
	CHECK(fakeServiceUntil(peerEnded, peer, kTimeout), "no FIN");
	copy = peerRead(peer);
	CHECK((5 == copy.receivedLength) && sameBytes(copy.received, "hello", 5), "client got %u bytes", copy.receivedLength);
	CHECK(1 == listener.connects, "%d onConnect calls", listener.connects);
	peerClose(peer);
	peerClose(thief);

	// It listened for one connection only.
	thief = peerNew();
	CHECK(ERR_OK == peerConnect(thief, &gClientAddress, &gServerAddress, (uint16_t)port), "second connect");
	CHECK(fakeServiceUntil(peerEnded, thief, kTimeout) && peerRead(thief).reset, "a second connection was not refused");
	CHECK(1 == listener.connects, "%d onConnect calls", listener.connects);
	peerClose(thief);
	fakeCollect(listener.object);
}

static void testPortRange(void)
{
	Listener a, b, c, d;
	const char *code;
	int first;

	CHECK(!(code = listenerOpen(&a, "0.0.0.0", 0, 50000, 50001, "10.0.0.2")), "first: %s", code);
	first = listenerPort(&a);
	CHECK(50000 == first, "first port %d", first);
	CHECK(!(code = listenerOpen(&b, "0.0.0.0", 0, 50000, 50001, "10.0.0.2")), "second: %s", code);
	CHECK(50001 == listenerPort(&b), "second port %d", listenerPort(&b));
	code = listenerOpen(&c, "0.0.0.0", 0, 50000, 50001, "10.0.0.2");
	CHECK(code && !strcmp(code, "EADDRINUSE"), "third: %s", code ? code : "bound");
	listenerClose(&a);
	CHECK(fakeCollect(a.object), "not collectable");
	CHECK(!(code = listenerOpen(&d, "0.0.0.0", 0, 50000, 50001, "10.0.0.2")), "after close: %s", code);
	CHECK(50000 == listenerPort(&d), "port after close %d", listenerPort(&d));
	// A listener dropped without close() is collected, and its port is free again.
	CHECK(fakeCollect(d.object), "not collectable");
	CHECK(!(code = listenerOpen(&a, "0.0.0.0", 0, 50000, 50000, "10.0.0.2")), "after collect: %s", code);
	fakeCollect(a.object);
	fakeCollect(b.object);
	fakeCollect(c.object);
	code = listenerOpen(&a, "0.0.0.0", 0, 60001, 60000, "10.0.0.2");
	CHECK(code && strstr(code, "RangeError"), "inverted range: %s", code ? code : "bound");
	code = listenerOpen(&a, "0.0.0.0", 70000, 0, 0, "10.0.0.2");
	CHECK(code && strstr(code, "RangeError"), "port 70000: %s", code ? code : "bound");
	code = listenerOpen(&a, "0.0.0.0", 0, 0, 0, "::1");
	CHECK(code && strstr(code, "RangeError"), "IPv6 peer: %s", code ? code : "bound");
}

static void testAbortSend(void)
{
	Listener listener;
	Peer *peer = peerNew();
	Outcome outcome;
	uint8_t *bytes = pattern(1024 * 1024, 11);
	xsSlot *connection;
	Peer copy;

	fakeVolumePut("/abort.bin", bytes, 1024 * 1024);
	connection = passive(&listener, peer, &gClientAddress);
	if (!connection)
		return;
	peerHold(peer, 1);
	CHECK(!sendFile(connection, "/abort.bin", 0, 0, &outcome), "sendFile");
	fakeService(200);
	CHECK(!outcome.done, "settled early");
	CHECK(isTrue(connectionGet(xs_ftpsock_connection_abort, connection)), "abort of a pending send answered false");
	CHECK(outcome.done && !strcmp(outcome.code, "EABORTED"), "abort: %s", outcome.done ? outcome.code : "pending");
	CHECK(1 == outcome.calls, "%d callbacks", outcome.calls);
	CHECK(fakeServiceUntil(peerEnded, peer, kTimeout), "client not told");
	copy = peerRead(peer);
	CHECK(copy.reset, "the client saw FIN, not a reset");
	CHECK(!fakeVolumeOpenFiles(), "file left open");
	CHECK(isFalse(connectionGet(xs_ftpsock_connection_abort, connection)), "abort of an idle connection answered true");		// idle: nothing
	CHECK(1 == outcome.calls, "a second abort called back");
	CHECK(closedCleanly(connection), "not collectable");
	peerClose(peer);
	fakeCollect(listener.object);
	free(bytes);
}

// The server's pcb of the client's connection (lwIP's active list), or NULL.
static struct tcp_pcb *serverPcbOf(Peer *peer)
{
	struct tcp_pcb *pcb;

	for (pcb = tcp_active_pcbs; pcb; pcb = pcb->next) {
		if (peer->pcb && (pcb != peer->pcb) && (pcb->remote_port == peer->pcb->local_port) && (pcb->local_port == peer->pcb->remote_port))
			return pcb;
	}
	return NULL;
}

// A client whose window stayed closed has had zero-window probes, each a byte the client did
// not take: the reset must still be one it accepts.
static void testAbortAfterProbes(void)
{
	Listener listener;
	Peer *peer = peerNew();
	Outcome outcome;
	uint8_t *bytes = pattern(200000, 37);
	xsSlot *connection;
	struct tcp_pcb *pcb;
	int probed = 0;

	fakeVolumePut("/probed.bin", bytes, 200000);
	connection = passive(&listener, peer, &gClientAddress);
	if (!connection)
		return;
	peerHold(peer, 1);
	CHECK(!sendFile(connection, "/probed.bin", 0, 0, &outcome), "sendFile");
	for (int i = 0; (i < 100) && !probed; i++) {
		fakeService(100);
		LOCK_TCPIP_CORE();
		pcb = serverPcbOf(peer);
		probed = pcb && !pcb->snd_wnd && (pcb->snd_nxt != pcb->lastack);
		UNLOCK_TCPIP_CORE();
	}
	CHECK(probed, "no zero-window probe in 10 s: the test tested nothing");
	CHECK(!outcome.done, "settled while the client does not read");
	connectionCall(xs_ftpsock_connection_abort, connection);
	CHECK(outcome.done && !strcmp(outcome.code, "EABORTED"), "abort: %s", outcome.done ? outcome.code : "pending");
	CHECK(fakeServiceUntil(peerEnded, peer, kTimeout), "the client never saw the reset");
	CHECK(peerRead(peer).reset, "the client saw FIN, not a reset");
	CHECK(closedCleanly(connection), "not collectable");
	peerClose(peer);
	fakeCollect(listener.object);
	free(bytes);
}

static void testAbortReceive(void)
{
	Listener listener;
	Peer *peer = peerNew();
	Outcome outcome;
	uint8_t *bytes = pattern(30000, 5);
	xsSlot *connection;

	connection = passive(&listener, peer, &gClientAddress);
	if (!connection)
		return;
	CHECK(!receiveFile(connection, "/aborted.bin", "w", 0, 0, &outcome), "receiveFile");
	peerSend(peer, bytes, 30000, 0);		// no FIN: the upload goes on
	fakeService(200);
	CHECK(!outcome.done, "settled without FIN");
	connectionCall(xs_ftpsock_connection_abort, connection);
	CHECK(outcome.done && !strcmp(outcome.code, "EABORTED"), "abort: %s", outcome.done ? outcome.code : "pending");
	CHECK(-1 == connectionGet(xs_ftpsock_connection_get_sinceEnd, connection).number, "sinceEnd without a FIN");
	CHECK(!fakeVolumeOpenFiles(), "file left open");
	CHECK(fakeServiceUntil(peerEnded, peer, kTimeout) && peerRead(peer).reset, "the client was not reset");
	CHECK(closedCleanly(connection), "not collectable");
	peerClose(peer);
	fakeCollect(listener.object);
	free(bytes);
}

static void testPeerReset(void)
{
	Listener listener;
	Peer *peer = peerNew();
	Outcome outcome;
	uint8_t *bytes = pattern(20000, 9);
	uint32_t length = 0;
	xsSlot *connection;

	connection = passive(&listener, peer, &gClientAddress);
	if (!connection)
		return;
	CHECK(!receiveFile(connection, "/reset.bin", "w", 0, 0, &outcome), "receiveFile");
	peerSend(peer, bytes, 20000, 0);
	fakeService(200);
	peerAbort(peer);
	CHECK(fakeServiceUntil(outcomeDone, &outcome, kTimeout), "a reset did not settle");
	CHECK(!strcmp(outcome.code, "ECONNRESET"), "rejected with %s", outcome.code);
	CHECK(fakeVolumeGet("/reset.bin", &length) && (20000 == length), "the bytes before the reset: %u on flash", length);
	CHECK(20000 == outcome.bytes, "reported %g bytes", outcome.bytes);
	CHECK(closedCleanly(connection), "not collectable");
	fakeCollect(listener.object);
	free(bytes);
}

static void testIdleTimeout(void)
{
	Listener listener;
	Peer *peer = peerNew();
	Outcome outcome;
	uint8_t *bytes = pattern(1024 * 1024, 13);
	xsSlot *connection;
	uint32_t start;

	fakeVolumePut("/slow.bin", bytes, 1024 * 1024);
	connection = passive(&listener, peer, &gClientAddress);
	if (!connection)
		return;
	peerHold(peer, 1);
	start = modMilliseconds();
	CHECK(!sendFile(connection, "/slow.bin", 0, 300, &outcome), "sendFile");
	CHECK(fakeServiceUntil(outcomeDone, &outcome, kTimeout), "no timeout");
	CHECK(!strcmp(outcome.code, "ETIMEDOUT"), "rejected with %s", outcome.code);
	CHECK((modMilliseconds() - start) >= 300, "timed out after %u ms", modMilliseconds() - start);
	CHECK(fakeServiceUntil(peerEnded, peer, kTimeout) && peerRead(peer).reset, "the client was not reset");
	CHECK(!fakeTimers(), "timer left");
	CHECK(closedCleanly(connection), "not collectable");
	peerClose(peer);
	fakeCollect(listener.object);

	// Progress keeps it armed: a slow but moving upload outlives several periods.
	peer = peerNew();
	connection = passive(&listener, peer, &gClientAddress);
	if (!connection)
		return;
	fakeVolumeSetWriteDelay(3000);
	CHECK(!receiveFile(connection, "/moving.bin", "w", 0, 100, &outcome), "receiveFile");
	peerSend(peer, bytes, 300000, 1);
	CHECK(fakeServiceUntil(outcomeDone, &outcome, kTimeout), "did not settle");
	fakeVolumeSetWriteDelay(0);
	CHECK(!outcome.code[0] && (300000 == outcome.bytes), "settled %s %g", outcome.code, outcome.bytes);
	CHECK(!fakeTimers(), "timer left");
	CHECK(closedCleanly(connection), "not collectable");
	peerClose(peer);
	fakeCollect(listener.object);
	free(bytes);
}

// Active mode (PORT/EPRT), and send() (listings).
static void testConnectAndSend(void)
{
	Peer *peer = peerNew();
	Outcome connected, outcome, second;
	uint8_t *bytes = pattern(150000, 17);
	const char *immediate;
	xsSlot *connection, data;
	uint16_t port = peerListen(peer);
	Peer copy;

	CHECK(port, "client listen");
	connection = connectTo("10.0.0.2", port, &connected, &immediate);
	CHECK(!immediate, "connect: %s", immediate);
	CHECK(!connected.done, "connect settled inside the call");
	CHECK(fakeServiceUntil(outcomeDone, &connected, kTimeout), "connect did not settle");
	CHECK(!connected.code[0] && !connected.argc, "connect: %s (%d arguments)", connected.code, connected.argc);
	CHECK(fakeServiceUntil(peerIsConnected, peer, kTimeout), "client did not accept");

	data = xsReference(fakeNewArrayBuffer(bytes, 150000));
	CHECK(!sendData(connection, data, &outcome), "send");
	CHECK(fakeServiceUntil(outcomeDone, &outcome, kTimeout), "send did not settle");
	CHECK(!outcome.code[0], "send rejected %s", outcome.code);
	CHECK(!sendData(connection, xsString("total 0\r\n"), &second), "send string");
	CHECK(fakeServiceUntil(outcomeDone, &second, kTimeout) && !second.code[0], "send string: %s", second.code);
	CHECK(!sendData(connection, xsString(""), &second), "send empty");
	CHECK(fakeServiceUntil(outcomeDone, &second, kTimeout) && !second.code[0] && (0 == second.bytes), "send empty: %s", second.code);
	CHECK(closedCleanly(connection), "not collectable");
	CHECK(fakeServiceUntil(peerEnded, peer, kTimeout), "no FIN");
	copy = peerRead(peer);
	CHECK(!copy.reset, "reset instead of FIN");
	CHECK((150009 == copy.receivedLength) && sameBytes(copy.received, bytes, 150000) && sameBytes(copy.received + 150000, "total 0\r\n", 9), "client received %u bytes", copy.receivedLength);
	peerClose(peer);
	free(bytes);
}

static void testConnectRefused(void)
{
	Outcome connected;
	const char *immediate;
	xsSlot *connection;

	connection = connectTo("10.0.0.2", 9, &connected, &immediate);
	CHECK(!immediate, "connect: %s", immediate);
	CHECK(fakeServiceUntil(outcomeDone, &connected, kTimeout), "connect did not settle");
	CHECK(!strcmp(connected.code, "EREFUSED"), "connect: %s", connected.code);
	CHECK(1 == connected.argc, "onError with %d arguments", connected.argc);
	CHECK(fakeCollect(connection), "not collectable");

	connection = connectTo("10.0.0.2", 9, &connected, &immediate);
	CHECK(!immediate, "connect: %s", immediate);
	connectionCall(xs_ftpsock_connection_abort, connection);
	CHECK(connected.done && !strcmp(connected.code, "EABORTED"), "abort of a connect: %s", connected.code);
	CHECK(fakeCollect(connection), "not collectable");

	connection = connectTo("10.0.0.2", 9, &connected, &immediate);
	CHECK(!immediate, "connect: %s", immediate);
	connectionCall(xs_ftpsock_connection_close, connection);
	fakeService(200);
	CHECK(!connected.done, "close of a connect called back (%s)", connected.code);
	CHECK(fakeCollect(connection), "not collectable");
}

// close() during a send: EABORTED, then what the stack holds is still delivered, then FIN, while
// the DataConnection is collected meanwhile.
static void testCloseDrains(void)
{
	Listener listener;
	Peer *peer = peerNew();
	Outcome outcome;
	uint8_t *bytes = pattern(1024 * 1024, 19);
	xsSlot *connection;
	Peer copy;

	fakeVolumePut("/drain.bin", bytes, 1024 * 1024);
	connection = passive(&listener, peer, &gClientAddress);
	if (!connection)
		return;
	peerHold(peer, 1);
	CHECK(!sendFile(connection, "/drain.bin", 0, 0, &outcome), "sendFile");
	fakeService(300);
	connectionCall(xs_ftpsock_connection_close, connection);
	CHECK(outcome.done && !strcmp(outcome.code, "EABORTED"), "close: %s", outcome.done ? outcome.code : "pending");
	CHECK(fakeCollect(connection), "not collectable while draining");
	fakeService(100);
	copy = peerRead(peer);
	CHECK(!copy.fin && !copy.reset, "ended before the client read");
	peerHold(peer, 0);
	CHECK(fakeServiceUntil(peerEnded, peer, kTimeout), "no FIN after the drain");
	copy = peerRead(peer);
	CHECK(!copy.reset, "reset instead of FIN");
	CHECK(copy.receivedLength && (copy.receivedLength < (1024 * 1024)), "client received %u bytes", copy.receivedLength);
	CHECK(sameBytes(copy.received, bytes, copy.receivedLength), "the drained bytes are not the file's");
	peerClose(peer);
	fakeCollect(listener.object);
	free(bytes);
}

// A client that never reads again: the close gives up after MODDEF_FTPSOCK_DRAIN s and resets.
static void testDrainGivesUp(void)
{
	Listener listener;
	Peer *peer = peerNew();
	Outcome outcome;
	uint8_t *bytes = pattern(400000, 29);
	xsSlot *connection;
	uint32_t start;

	fakeVolumePut("/stuck.bin", bytes, 400000);
	connection = passive(&listener, peer, &gClientAddress);
	if (!connection)
		return;
	peerHold(peer, 1);
	CHECK(!sendFile(connection, "/stuck.bin", 0, 0, &outcome), "sendFile");
	fakeService(300);
	start = modMilliseconds();
	connectionCall(xs_ftpsock_connection_close, connection);
	CHECK(fakeCollect(connection), "not collectable while draining");
	CHECK(fakeServiceUntil(peerEnded, peer, kTimeout), "never reset");
	CHECK(peerRead(peer).reset, "FIN, though the client never read");
	CHECK((modMilliseconds() - start) >= ((MODDEF_FTPSOCK_DRAIN - 1) * 1000), "reset after %u ms only", modMilliseconds() - start);
	peerClose(peer);
	fakeCollect(listener.object);
	free(bytes);
}

// A message that cannot be posted (no memory on ESP8266) is posted again from tcp_poll. Every
// post fails while the client catches up with what the stack holds; after that nothing moves
// but the poll.
static void testLostPosts(void)
{
	Listener listener;
	Peer *peer = peerNew();
	Outcome outcome;
	uint8_t *bytes = pattern(300000, 23);
	xsSlot *connection;
	int failed;
	Peer copy;

	fakeVolumePut("/lost.bin", bytes, 300000);
	connection = passive(&listener, peer, &gClientAddress);
	if (!connection)
		return;
	peerHold(peer, 1);
	CHECK(!sendFile(connection, "/lost.bin", 0, 0, &outcome), "sendFile");
	fakeService(300);
	CHECK(!outcome.done, "settled while the client does not read");
	fakeFailPosts(1000000);
	peerHold(peer, 0);
	fakeService(500);
	failed = fakeFailPosts(0);
	CHECK(failed, "no post failed: the test tested nothing");
	CHECK(!outcome.done, "settled while every post failed");
	CHECK(fakeServiceUntil(outcomeDone, &outcome, kTimeout), "not posted again");
	CHECK(!outcome.code[0] && (300000 == outcome.bytes), "settled %s %g", outcome.code, outcome.bytes);
	CHECK(closedCleanly(connection), "not collectable");
	CHECK(fakeServiceUntil(peerEnded, peer, kTimeout), "no FIN");
	copy = peerRead(peer);
	CHECK((300000 == copy.receivedLength) && sameBytes(copy.received, bytes, 300000), "client received %u bytes", copy.receivedLength);
	peerClose(peer);
	fakeCollect(listener.object);
	free(bytes);

	// A listener's accept: posted again by the poll of the connection it accepted.
	peer = peerNew();
	CHECK(!listenerOpen(&listener, "0.0.0.0", 0, 0, 0, "10.0.0.2"), "DataListener");
	fakeFailPosts(1000000);
	CHECK(ERR_OK == peerConnect(peer, &gClientAddress, &gServerAddress, (uint16_t)listenerPort(&listener)), "connect");
	fakeService(300);
	failed = fakeFailPosts(0);
	CHECK(failed, "no post failed: the test tested nothing");
	CHECK(!listener.connects, "accepted while every post failed");
	CHECK(fakeServiceUntil(listenerConnected, &listener, kTimeout) && listener.connection, "the accept was not posted again");
	CHECK(closedCleanly(listener.connection), "not collectable");
	peerClose(peer);
	fakeCollect(listener.object);
}

// Errors known at once come back from the call; a busy or closed connection throws.
static void testErrorsAtOnce(void)
{
	Listener listener;
	Peer *peer = peerNew();
	Outcome outcome, other;
	xsSlot *connection;
	const char *code;

	connection = passive(&listener, peer, &gClientAddress);
	if (!connection)
		return;
	code = sendFile(connection, "/missing.bin", 0, 0, &outcome);
	CHECK(code && !strcmp(code, "ENOENT"), "missing file: %s", code ? code : "started");
	code = receiveFile(connection, "/x.bin", "r", 0, 0, &outcome);
	CHECK(code && strstr(code, "RangeError"), "mode r: %s", code ? code : "started");
	code = receiveFile(connection, "/x.bin", "w", 0, 0, &outcome);
	CHECK(!code, "receiveFile: %s", code);
	code = receiveFile(connection, "/y.bin", "w", 0, 0, &other);
	CHECK(code && strstr(code, "busy"), "second operation: %s", code ? code : "started");
	connectionCall(xs_ftpsock_connection_close, connection);
	CHECK(outcome.done && !strcmp(outcome.code, "EABORTED"), "close: %s", outcome.code);
	code = sendFile(connection, "/x.bin", 0, 0, &other);
	CHECK(code && strstr(code, "closed"), "after close: %s", code ? code : "started");
	CHECK(fakeCollect(connection), "not collectable");
	peerClose(peer);
	fakeCollect(listener.object);
}

// A connection accepted but never taken by a DataConnection (the listener closed first) is reset.
static void testUntakenConnection(void)
{
	Listener listener;
	Peer *peer = peerNew();
	const char *code;
	int port;

	code = listenerOpen(&listener, "0.0.0.0", 0, 0, 0, "10.0.0.2");
	CHECK(!code, "DataListener: %s", code);
	port = listenerPort(&listener);
	CHECK(ERR_OK == peerConnect(peer, &gClientAddress, &gServerAddress, (uint16_t)port), "connect");
	// Waits without running the XS side, so the accept is still undelivered when it closes.
	for (int i = 0; (i < 2000) && !peerIsConnected(peer); i++) {
#if NO_SYS
		fakeEnterLwip();
		networkPoll();
		fakeLeaveLwip();
#else
		usleep(1000);
#endif
	}
	CHECK(peerIsConnected(peer), "not connected");
	CHECK(fakeQueuedMessages(), "no accept queued");
	listenerClose(&listener);
	fakeService(100);
	CHECK(!listener.connects, "onConnect after close");
	CHECK(fakeServiceUntil(peerEnded, peer, kTimeout) && peerRead(peer).reset, "the accepted connection was not reset");
	peerClose(peer);
	fakeCollect(listener.object);
}

static int settledEverything(void *context)
{
	(void)context;
	return !fakeLiveBlocks() && !fakeQueuedMessages();
}

static void testNothingLeft(void)
{
	CHECK(fakeServiceUntil(settledEverything, NULL, kTimeout), "%ld blocks still allocated, %d messages queued", fakeLiveBlocks(), fakeQueuedMessages());
	CHECK(!fakeRemembered(), "%d objects still remembered", fakeRemembered());
	CHECK(!fakeTimers(), "%d timers left", fakeTimers());
	CHECK(!fakeVolumeOpenFiles(), "%d files open", fakeVolumeOpenFiles());
	CHECK(!fakeInstrumentation(kModInstrumentationNetworkSockets), "NetworkSockets at %d", fakeInstrumentation(kModInstrumentationNetworkSockets));
	CHECK(fakeInstrumentation(kModInstrumentationNetworkBytesRead) > 0, "NetworkBytesRead not counted");
	CHECK(fakeInstrumentation(kModInstrumentationNetworkBytesWritten) > 0, "NetworkBytesWritten not counted");
}

#if !NO_SYS
static void onAlarm(int signal)
{
	(void)signal;
	static const char message[] = "not ok - hung: no progress for 120 s\n";
	if (write(STDOUT_FILENO, message, sizeof(message) - 1) < 0)
		_exit(2);
	_exit(1);
}
#endif

int main(void)
{
#if !NO_SYS
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGALRM, onAlarm);		// under NO_SYS, on the emulated chip, the runner's timeout
	alarm(120);
#endif
	fakeInit();
	networkStart();
	printf("# lwIP %u.%u.%u, send buffer %u bytes (stack: %u), TCP window %u\n", LWIP_VERSION_MAJOR, LWIP_VERSION_MINOR, LWIP_VERSION_REVISION, MODDEF_FTPSOCK_BUFFER, (unsigned)TCP_SND_BUF, (unsigned)kWindow);

	run("localAddressFor: the address of the netif that routes to the remote", testLocalAddress);
	run("sendFile: 0 B to 1 MiB through a passive connection, then FIN", testSendFiles);
	run("sendFile from an offset", testSendFileFromOffset);
	run("sendFile of a FileSource (opened before the connection) from an offset; closed, dropped, missing", testSendSource);
	run("sendListing: NLST and MLSD lines of 300 entries made natively, split across buffers", testSendListings);
	run("sendFile: a client that stops reading stops the send and the reads from flash", testSendFileFlowControl);
	run("receiveFile: 0 B to 1 MiB, then FIN from the server", testReceiveFiles);
	run("receiveFile: a slow flash holds the client back by one TCP window", testReceiveSlowFlash);
	run("receiveFile: resume at an offset, append", testReceiveAppendAndResume);
	run("receiveFile: ENOSPC rejects and resets", testReceiveNoSpace);
	run("DataListener: a wrong peer is reset, the right one accepted, one connection only", testWrongPeer);
	run("DataListener: port range, EADDRINUSE, ports free after close and collection", testPortRange);
	run("DataListener: a connection nobody took is reset", testUntakenConnection);
	run("abort() during sendFile: EABORTED, the client is reset", testAbortSend);
	run("abort() after zero-window probes: the client whose window is closed is still reset", testAbortAfterProbes);
	run("abort() during receiveFile: EABORTED, the client is reset", testAbortReceive);
	run("peer reset during receiveFile: ECONNRESET after the bytes before it", testPeerReset);
	run("idle timeout: ETIMEDOUT when stalled, re-armed while moving", testIdleTimeout);
	run("DataConnection.connect (active mode) and send()", testConnectAndSend);
	run("DataConnection.connect: EREFUSED, abort, close", testConnectRefused);
	run("close() during sendFile: EABORTED, what the stack holds still reaches the client, then FIN", testCloseDrains);
	run("close() gives up on a client that never reads: reset after the drain time", testDrainGivesUp);
	run("a lost message (a connection's, a listener's) is posted again from tcp_poll", testLostPosts);
	run("codes known at once, busy, closed", testErrorsAtOnce);
	run("nothing left: memory, messages, remembered objects, timers, files, sockets", testNothingLeft);

	printf("# %d tests, %d failed\n", gTests, gFailures);
	printf("%d passed, %d failed\n", gTests - gFailures, gFailures);
	return gFailures ? 1 : 0;
}
