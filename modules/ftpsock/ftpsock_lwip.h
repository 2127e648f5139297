/*
 * What the files of ftpsock's lwIP backend share (esp32, esp): the two records, the hand-off
 * to lwIP's context (lwipRun) and the functions one file calls in another. The host functions
 * are the binding's (ftpsock_binding.c, over ftpsock_backend.h); ftpsock_lwip.c says how the
 * backend works. The files are:
 *   ftpsock_lwip.c            the DataConnection's XS side: start, finish, close, the idle timer
 *   ftpsock_lwip_thread.c     lwipRun(): lwIP's context, from the XS thread
 *   ftpsock_lwip_pcb.c        a connection's pcb in lwIP context: callbacks, draining close
 *   ftpsock_lwip_listener.c   DataListener and localAddressFor, both sides
 *   ftpsock_lwip_send.c       sendFile and send(): tcp_write from the buffer
 *   ftpsock_lwip_receive.c    receiveFile: pbufs straight to the file
 */
#ifndef __FTPSOCK_LWIP_H__
#define __FTPSOCK_LWIP_H__

#include "xsmc.h"
#include "xsHost.h"
#include "mc.defines.h"
#include "modTimer.h"
#include "modInstrumentation.h"

#include "ftpsock_backend.h"

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

// What lwIP callbacks record (lwIP side, sticky).
enum {
	kEventConnected = 1 << 0,
	kEventFin = 1 << 1,
	kEventError = 1 << 2
};

typedef struct xsFtpSockConnectionRecord xsFtpSockConnectionRecord;
typedef xsFtpSockConnectionRecord *xsFtpSockConnection;

struct xsFtpSockConnectionRecord {
	FtpSockConnectionBase base;	// the binding's (XS side): file, buffer (sendFile: read from the file; send(): the bytes to send), bytes...

	// XS side
	modTimer timer;				// idle timeout of the pending transfer
	uint32_t idleTimeout;		// ms; 0 = none
	uint32_t lastAcked;			// `seenAcked` when progress was last seen
	const char *startCode;		// why the pending operation failed as it began, reported by its first pump
	const char *writeCode;		// tcp_write() refused for another reason than memory
	ip_addr_t remote;
	uint16_t remotePort;
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
	FtpSockListenerBase base;	// the binding's (XS side): the DataListener, not remembered, so a dropped listener is collected

	// XS side
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




/*
	lwIP context
*/

typedef void (*LwipFunction)(void *context);

// Runs `function` in lwIP's context and waits for it (ftpsock_lwip_thread.c).
void lwipRun(LwipFunction function, void *context);

typedef struct {
	xsFtpSockConnection connection;
	struct pbuf *chain;			// taken from `received`
	uint32_t length;			// of `chain`, on flash
	uint8_t freed;
	err_t error;
} ConnectionStepRecord;

// ftpsock_lwip_pcb.c
err_t connectionOnConnected(void *arg, struct tcp_pcb *pcb, err_t err);
err_t connectionOnReceive(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err);
err_t connectionOnSent(void *arg, struct tcp_pcb *pcb, u16_t length);
err_t connectionOnPoll(void *arg, struct tcp_pcb *pcb);
void connectionOnError(void *arg, err_t err);
void connectionAttach(xsFtpSockConnection connection, struct tcp_pcb *pcb);
struct tcp_pcb *connectionDetach(xsFtpSockConnection connection);
int connectionRelease(xsFtpSockConnection connection);
void connectionPost(xsFtpSockConnection connection);
void connectionObserve(xsFtpSockConnection connection);
void connectionDiscardReceived(xsFtpSockConnection connection);
void connectionResetPcb(struct tcp_pcb *pcb);
err_t connectionCloseTry(xsFtpSockConnection connection);
void connectionCollectInLwip(void *context);
void connectionKickInLwip(void *context);
void connectionConnectInLwip(void *context);
void connectionAbortInLwip(void *context);
void connectionCloseInLwip(void *context);
void connectionDisownInLwip(void *context);

// ftpsock_lwip_send.c
void connectionWriteInLwip(void *context);

// ftpsock_lwip_receive.c
void connectionTakeInLwip(void *context);
void connectionConsumedInLwip(void *context);

// ftpsock_lwip_listener.c
void listenerPost(struct xsFtpSockListenerRecord *listener);
void listenerDeliver(void *the, void *refcon, uint8_t *message, uint16_t messageLength);
void connectionDropInLwip(void *context);
void listenerUncount(xsFtpSockListener listener);

// ftpsock_lwip.c
void ftpsockAddressToLwip(FtpSockAddress address, ip_addr_t *ip);
void connectionDeliver(void *the, void *refcon, uint8_t *message, uint16_t messageLength);
void connectionFinish(xsMachine *the, xsFtpSockConnection connection, const char *code);
void connectionReset(xsFtpSockConnection connection);
void connectionUncount(xsFtpSockConnection connection);
void connectionProgress(xsFtpSockConnection connection);
void connectionOnTimer(modTimer timer, void *refcon, int refconSize);
const char *errorName(err_t error, uint8_t connecting);

#endif
