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
// Work per wakeup: 8 × the buffer (256 KiB on Linux, see manifest.json), or 8 × 64 KiB by
// sendfile or in place. 64 KiB per call is loopback's largest segment: RETR 16 MiB from a
// folder went from 4,379 to 6,308 MB/s against 256 KiB per call (server CPU 3.04 to 2.44 ms),
// lent from the image from 3,609 to 5,816 MB/s (4.33 to 2.59 ms), median of 20 rounds of 4,
// interleaved with pyftpdlib (about 5,000 MB/s, 3.2 ms).
#define kRoundsPerWakeup (8)
#define kSendfileChunk (64 * 1024)
// In place: up to kRunsPerSend runs (a run per 4 KiB block), at most kSendfileChunk bytes, per
// sendmsg or vmsplice.
#define kRunsPerSend (16)
// In place, files of at least kLendFrom bytes are lent rather than copied: their runs go into a
// pipe of kLendPipe bytes (vmsplice) and from there into the socket (splice), page references
// instead of bytes (ftpsock_posix_linger.c says how the pages stay the file's).
#define kLendFrom (256 * 1024)
#define kLendPipe (1024 * 1024)

typedef struct xsFtpSockConnectionRecord xsFtpSockConnectionRecord;
typedef struct FtpSockLingerRecord *FtpSockLinger;
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
	int pipe[2];				// lent runs on their way to the socket; -1: runs are copied by sendmsg
	uint32_t piped;				// bytes in the pipe
	VolumeFile lent;			// the settled download's file while the socket may hold its pages
	FtpSockLinger linger;		// for lent downloads: what keeps the file once the connection closes
	uint8_t lends;				// some of the file's pages went to the socket without a copy (only through the pipe, made with `linger`)
};

// Takes the socket `listener` accepted and not yet handed out, with its peer's address
// (ftpsock_posix_listener.c). Returns -1 when there is none.
int ftpsockListenerTake(FtpSockListener listener, struct sockaddr_in *remote);

// Lent downloads (ftpsock_posix_linger.c). A record made when the download starts lending, so
// that nothing is allocated when it ends (NULL when out of memory, or when too many downloads
// lend or linger already: the download copies); freed by ftpsockLingerFree unless given to
// ftpsockLinger.
FtpSockLinger ftpsockLingerCreate(void);
void ftpsockLingerFree(FtpSockLinger linger);
// Keeps `file` open, and the socket `fd` (shut down for writing) with it, until the peer is done
// with what the socket holds: it closed or reset the connection. Takes all three.
void ftpsockLinger(FtpSockLinger linger, int fd, VolumeFile file);


#endif
