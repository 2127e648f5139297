/*
 * What the two files of the POSIX DataConnection share (ftpsock_posix.c: the backend's
 * connection functions, ftpsock_backend.h; ftpsock_posix_pump.c: the pumps that move bytes on
 * each wakeup): the record.
 */
#ifndef __FTPSOCK_POSIX_CONNECTION_H__
#define __FTPSOCK_POSIX_CONNECTION_H__

#include "xsmc.h"
#include "mc.defines.h"

#include "../volume/volume.h"
#include "ftpsock_backend.h"
#include "ftpsock_posix.h"

#include <glib-unix.h>
#include <netinet/in.h>
#include <sys/uio.h>

#ifndef MODDEF_FTPSOCK_BUFFER
	#define MODDEF_FTPSOCK_BUFFER (16384)
#endif
// Work per wakeup: 8 × the buffer (256 KiB on Linux, see manifest.json), or 8 × 256 KiB by
// sendfile (the kernel takes no more than the socket's send buffer anyway).
#define kRoundsPerWakeup (8)
#define kSendfileChunk (256 * 1024)
// In place: up to kRunsPerSend runs, at most kSendfileChunk bytes, per sendmsg.
#define kRunsPerSend (64)

typedef struct xsFtpSockConnectionRecord xsFtpSockConnectionRecord;
typedef xsFtpSockConnectionRecord *xsFtpSockConnection;

struct xsFtpSockConnectionRecord {
	FtpSockConnectionBase base;	// the binding's: file, buffer (the file's bytes through it, or send()'s), bytes...
	int fd;
	guint watch;
	GSource *timer;				// idle timeout of the pending transfer
	gint64 idleTimeout;			// µs; 0 = none
	gint64 progress;			// monotonic µs of the last byte moved
	gint64 ended;				// monotonic µs the last receive met the peer's FIN; 0: it did not
	struct sockaddr_in remote;
	int fileDescriptor;			// for sendfile(2); -1: through `buffer`
	struct iovec *runs;			// in place: the file's runs not yet sent, from runs[run]
	uint16_t run;
	uint16_t runCount;
};

// Takes the socket `listener` accepted and not yet handed out, with its peer's address
// (ftpsock_posix_listener.c). Returns -1 when there is none.
int ftpsockListenerTake(FtpSockListener listener, struct sockaddr_in *remote);


#endif
