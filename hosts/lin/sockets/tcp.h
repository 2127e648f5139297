/*
 * What the files of the Linux host's ECMA-419 sockets share: the TCP record and the functions
 * one file calls in another. tcp.c says how the sockets behave; the files are:
 *   tcp.c           the TCP socket's host functions (constructor, read, write, getters)
 *   tcp_events.c    the record's life and its events: fd watch, idle delivery, flush, EOF, errors
 *   tcp_listener.c  the listener (accepts into a queue, hands sockets to TCP objects)
 *   tcp_peer.c      tcppeer: whether a control connection's peer is still there, and the grace
 *   tcp_peer_process.c  tcppeer's view of a client process on this machine (no XS)
 */
#ifndef __LIN_SOCKETS_TCP_H__
#define __LIN_SOCKETS_TCP_H__

#ifndef _GNU_SOURCE
	#define _GNU_SOURCE		// accept4(): accepted sockets non-blocking without a second call
#endif

#include "xsmc.h"
#include "mc.xs.h"			// for xsID_* values
#include "builtinCommon.h"
#include "../../../modules/ftpsock/ftpsock_posix.h"		// ftpsockWatch: fd sources that do not wake the loop per dispatch
#include "tcp_peer_process.h"

#include <glib-unix.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

void xs_lin_tcp_destructor(void *data);
void xs_lin_listener_destructor(void *data);

#define kTCPInputSize (16384)
#define kTCPOutputSize (8192)
#define kListenerPendingSize (64)
// the bounds of the grace a dying client's last FIN or RST is given (tcppeer), in microseconds
#define kTCPPeerGraceMin (500)
#define kTCPPeerGraceMax (20000)
#define kTCPPeerGraceDefault (2000)		// when the kernel tells no round trip
// how often, in microseconds, a running client process on this machine is looked at again within the grace
#define kTCPPeerLook (40)

/*
	TCP
*/

struct TCPRecord {
	int				fd;
	xsMachine		*the;
	xsSlot			obj;
	guint			watch;			// ftpsockWatch source, 0 when no condition is wanted
	GIOCondition	watching;
	guint			idle;			// pending delivery requested from a JS call
	int				useCount;		// the JS object, a closing flush, a callback in progress

	uint8_t			format;
	uint8_t			attached;		// owned by a JS object, which is remembered while open
	uint8_t			connecting;		// non-blocking connect() in progress
	uint8_t			ready;			// connected: reads, writes and getters work
	uint8_t			eof;			// peer sent FIN
	uint8_t			reported;		// onError delivered (or owed no more)
	uint8_t			closing;		// close() called: flush the output queue, then close
	uint8_t			readable;		// bytes arrived since the last onReadable
	uint8_t			busy;			// in tcpReady / tcpIdle, which settle the watch afterwards
	uint8_t			hasAddresses;
	int				failure;		// errno of a socket error, 0 when none
	uint32_t		peerGrace;		// tcppeer: the grace last computed for this connection, µs
	uint32_t		peerGraceUses;
	TCPPeerProcessRecord	peerProcess;	// tcppeer: the client's process, when it is on this machine

	uint32_t		announced;		// writable count the JS side was last told
	xsSlot			*onReadable;
	xsSlot			*onWritable;
	xsSlot			*onError;

	struct sockaddr_in	local;
	struct sockaddr_in	remote;

	uint32_t		inStart;
	uint32_t		inEnd;
	uint32_t		outStart;
	uint32_t		outEnd;
	uint8_t			input[kTCPInputSize];
	uint8_t			output[kTCPOutputSize];
};
typedef struct TCPRecord TCPRecord;
typedef struct TCPRecord *TCP;

TCP tcpCreate(void);
void tcpHold(TCP tcp);
void tcpRelease(TCP tcp);
void tcpFree(TCP tcp);
void tcpDetach(xsMachine *the, xsSlot *instance, TCP tcp);
void tcpEstablished(TCP tcp);
void tcpFail(TCP tcp, int failure);
void tcpReceive(TCP tcp);
void tcpFlush(TCP tcp);
void tcpFinish(TCP tcp);
void tcpWatch(TCP tcp);
void tcpSchedule(TCP tcp);
void tcpSettle(TCP tcp);
void tcpDeliver(TCP tcp);
gboolean tcpReady(gint fd, GIOCondition condition, gpointer data);
gboolean tcpIdle(gpointer data);
void xs_lin_tcp_mark(xsMachine* the, void* it, xsMarkRoot markRoot);

extern const xsHostHooks xsTCPHooks;

#define tcpInputUsed(tcp) ((tcp)->inEnd - (tcp)->inStart)
#define tcpOutputUsed(tcp) ((tcp)->outEnd - (tcp)->outStart)
#define tcpOutputFree(tcp) (kTCPOutputSize - tcpOutputUsed(tcp))

#endif
