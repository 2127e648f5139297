/*
 * Lent downloads: keeping a file's blocks until the client is done with the pages the socket
 * holds.
 *
 * A large download from a LittleFS image is sent without a copy (ftpsock_posix_pump.c): the
 * runs of its blocks in the image's mapping go into a pipe by vmsplice(2) and on into the
 * socket by splice(2), so the socket holds references to the image's own page-cache pages,
 * not copies of their bytes. Those pages are read when the kernel transmits them, or, on
 * loopback, when the client reads its socket: possibly long after the transfer settled.
 * The bytes of a block change only once LittleFS reuses it, and it reuses a block only once no
 * file holds it: not while the file is open (volumeTraverse counts the blocks every file open
 * for reading reads, also after a DELE, a rename over it or an APPE), but as soon as it is
 * closed. So the file of a
 * lent download stays open until the peer has taken everything the socket held: the socket is
 * shut down for writing (FIN after the data) and kept, and the file is closed when the peer
 * closes its end (it read up to our FIN) or resets it (its kernel dropped what it had not
 * read), or the connection fails. A remote peer's FIN acknowledges every byte sent before it,
 * so nothing is left to retransmit either.
 *
 * A client that keeps the data connection open without reading keeps the file's blocks in use
 * (as an open download does): the space comes back when it closes, or when its process ends.
 * So that clients that never close cannot pile up descriptors and files, at most kLingerMax
 * downloads lend or linger at once; beyond that a download copies, as a small file does, and
 * has nothing to keep once it has settled.
 * Nothing of this is on the devices, whose lwIP stack copies every byte it sends.
 */
#include "xsmc.h"

#include "ftpsock_posix_connection.h"

#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>

struct FtpSockLingerRecord {
	VolumeFile file;			// the watch's callback gets the fd
};

// Reads of up to 256 bytes a lingering socket makes per wakeup before letting the loop run
// others: a download's peer has nothing to send, so anything it does is discarded.
#define kLingerRounds (4)
#define kLingerMax (16)

static uint32_t gLingerRecords = 0;

static gboolean lingerOnSocket(gint fd, GIOCondition condition, gpointer data)
{
	FtpSockLinger linger = data;
	uint8_t scratch[256];
	ssize_t count;
	int round;

	for (round = 0; round < kLingerRounds; round++) {
		count = recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT);
		if (count > 0)
			continue;
		if ((count < 0) && (EINTR == errno))
			continue;
		if ((count < 0) && ((EAGAIN == errno) || (EWOULDBLOCK == errno)) && !(condition & (G_IO_HUP | G_IO_ERR)))
			return G_SOURCE_CONTINUE;
		// 0: the peer's FIN; an error: the connection is gone, and what it held with it
		close(fd);
		volumeClose(linger->file);
		ftpsockLingerFree(linger);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

FtpSockLinger ftpsockLingerCreate(void)
{
	FtpSockLinger linger;

	if (gLingerRecords >= kLingerMax)
		return NULL;
	linger = c_malloc(sizeof(struct FtpSockLingerRecord));
	if (linger)
		gLingerRecords++;
	return linger;
}

void ftpsockLingerFree(FtpSockLinger linger)
{
	if (!linger)
		return;
	gLingerRecords--;
	c_free(linger);
}

void ftpsockLinger(FtpSockLinger linger, int fd, VolumeFile file)
{
	shutdown(fd, SHUT_WR);
	linger->file = file;
	ftpsockWatch(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, lingerOnSocket, linger);
}
