/*
 * tcppeer's view of a client on this machine (tcp_peer_process.c): the process at the other
 * end of a control connection, found through the kernel (sock_diag, /proc), and whether it is
 * sleeping, running or exiting. Plain C over libc and Linux, no XS: tcp_peer.c uses it.
 */
#ifndef __LIN_SOCKETS_TCP_PEER_PROCESS_H__
#define __LIN_SOCKETS_TCP_PEER_PROCESS_H__

#include <stdint.h>
#include <netinet/in.h>

// What tcpPeerProcessLook tells of the client process
enum {
	kTCPPeerProcessUnknown = 0,	// none found (a remote client, /proc or sock_diag unavailable, a shared socket...)
	kTCPPeerProcessSleeping,	// every thread sleeping (S) at one same instant, none exiting, its end of the connection established then
	kTCPPeerProcessRunning,		// a thread running, runnable, in uninterruptible sleep (D) or stopped
	kTCPPeerProcessExiting,		// a thread exiting or killed by a signal, a zombie, or the process gone
	kTCPPeerProcessClosed,		// the client closed or shut down its end of this connection
};

struct TCPPeerClientRecord;

// Kept per connection: found once, and looked at again at each commit. The record starts
// zeroed; tcpPeerProcessForget lets go of the client (the connection is freed). What is kept
// open on the client process is shared by every connection of that process.
struct TCPPeerProcessRecord {
	int32_t						pid;		// 0: not looked for yet; -1: none usable
	uint32_t					inode;		// the client's socket
	struct TCPPeerClientRecord	*client;	// when pid > 0
};
typedef struct TCPPeerProcessRecord TCPPeerProcessRecord;
typedef struct TCPPeerProcessRecord *TCPPeerProcess;

// `local`, `remote`: this server's end of the connection (its peer is the client).
// Find: looks for the process once (pid 0), and sets pid (-1: none usable); Look finds it if
// not done yet, then tells its state.
void tcpPeerProcessFind(TCPPeerProcess process, const struct sockaddr_in *local, const struct sockaddr_in *remote);
uint8_t tcpPeerProcessLook(TCPPeerProcess process, const struct sockaddr_in *local, const struct sockaddr_in *remote);
// Whether more tasks are runnable than there are CPUs online (/proc/loadavg), now.
uint8_t tcpPeerProcessOversubscribed(void);
// Closes what the record keeps open (the connection is freed).
void tcpPeerProcessForget(TCPPeerProcess process);

#endif
