/*
 * What the two files of the POSIX DataConnection share (ftpsock_posix.c: host functions and
 * settling; ftpsock_posix_pump.c: the pumps that move bytes on each wakeup): the record, its
 * states and the pumps' prototypes.
 */
#ifndef __FTPSOCK_POSIX_CONNECTION_H__
#define __FTPSOCK_POSIX_CONNECTION_H__

#include "xsmc.h"
#include "mc.defines.h"

#include "../volume/volume.h"
#include "ftpsock_posix.h"

#include <glib-unix.h>
#include <netinet/in.h>
#include <sys/uio.h>

#ifndef MODDEF_FTPSOCK_BUFFER
	#define MODDEF_FTPSOCK_BUFFER (16384)
#endif
// Work per wakeup: 8 × the buffer (64 KiB on Linux, see manifest.json), or 8 × 256 KiB by
// sendfile (the kernel takes no more than the socket's send buffer anyway).
#define kRoundsPerWakeup (8)
#define kSendfileChunk (256 * 1024)
// In place: up to kRunsPerSend runs, at most kSendfileChunk bytes, per sendmsg.
#define kRunsPerSend (64)

enum {
	kStateIdle = 0,
	kStateConnecting,
	kStateSendFile,
	kStateSendBytes,
	kStateReceiveFile,
	kStateClosed
};

typedef struct xsFtpSockConnectionRecord xsFtpSockConnectionRecord;
typedef xsFtpSockConnectionRecord *xsFtpSockConnection;

struct xsFtpSockConnectionRecord {
	xsMachine *the;
	xsSlot obj;					// the DataConnection; remembered while an operation is pending
	xsSlot *callback;			// of the pending operation; marked by the host hooks
	int fd;
	guint watch;
	GSource *timer;				// idle timeout of the pending transfer
	gint64 idleTimeout;			// µs; 0 = none
	gint64 progress;			// monotonic µs of the last byte moved
	struct sockaddr_in remote;
	VolumeFile file;
	int fileDescriptor;			// for sendfile(2); -1: through `buffer`
	uint8_t *buffer;
	uint32_t bufferSize;
	uint32_t offset;			// next byte of `buffer` to send
	uint32_t length;			// bytes in `buffer`
	struct iovec *runs;			// in place: the file's runs not yet sent, from runs[run]
	uint16_t run;
	uint16_t runCount;
	uint64_t bytes;
	uint8_t state;
	uint8_t remembered;
};

// A pump's verdict besides an error code: NULL goes on waiting, kSettled succeeded.
extern const char kSettled[];

const char *pumpConnect(xsFtpSockConnection connection);
const char *pumpSendFile(xsFtpSockConnection connection);
const char *pumpSendBuffer(xsFtpSockConnection connection);
const char *pumpSendInPlace(xsFtpSockConnection connection);
const char *pumpReceiveFile(xsFtpSockConnection connection);

#endif
