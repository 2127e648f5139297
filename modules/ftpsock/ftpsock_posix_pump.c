/*
 * The POSIX DataConnection's pumps: what each wakeup of the connection's fd does for a connect,
 * a download (sendfile(2), runs of the image copied or lent, or the buffer), send() and an
 * upload. Each returns NULL (wait), kSettled or an error code (ftpsock_posix.c settles).
 */
#define _GNU_SOURCE		// vmsplice(2), splice(2)
#include "xsmc.h"
#include "ftpsock_posix_connection.h"

#include <glib-unix.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

static const char *pumpSendFile(xsFtpSockConnection connection);
static const char *pumpSendBuffer(xsFtpSockConnection connection);
static const char *pumpSendInPlace(xsFtpSockConnection connection);
static const char *pumpLendInPlace(xsFtpSockConnection connection);
static void advanceRuns(xsFtpSockConnection connection, size_t count);

const char *ftpsockPumpConnect(FtpSockConnection connection)
{
	int error = 0;
	socklen_t length = sizeof(error);

	if (getsockopt(connection->fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0)
		error = errno;
	return error ? ftpsockErrorName(error) : kSettled;
}

static const char *pumpSendFile(xsFtpSockConnection connection)
{
	int round;
	ssize_t count;

	for (round = 0; round < kRoundsPerWakeup; round++) {
		count = sendfile(connection->fd, connection->fileDescriptor, NULL, kSendfileChunk);
		if (count > 0) {
			connection->base.bytes += count;
			connection->progress = g_get_monotonic_time();
		}
		else if (0 == count)
			return kSettled;		// end of file, every byte queued in the kernel
		else if (EINTR == errno)
			continue;
		else if ((EAGAIN == errno) || (EWOULDBLOCK == errno))
			return NULL;
		else
			return ftpsockErrorName(errno);
	}
	return NULL;
}

// A download: by sendfile(2) from a POSIX file, in place from an image, else through the buffer.
const char *ftpsockPumpSendFile(FtpSockConnection connection)
{
	if (connection->fileDescriptor >= 0)
		return pumpSendFile(connection);
	if (connection->runs)
		return pumpSendInPlace(connection);
	return pumpSendBuffer(connection);
}

const char *ftpsockPumpSendBytes(FtpSockConnection connection)
{
	return pumpSendBuffer(connection);
}

// A file or a listing through the buffer, or the bytes of send(): neither for the latter.
static const char *pumpSendBuffer(xsFtpSockConnection connection)
{
	int round;
	int32_t read;
	ssize_t count;

	for (round = 0; round < kRoundsPerWakeup; round++) {
		if (connection->base.offset == connection->base.length) {
			if (!connection->base.file && !connection->base.listing)
				return kSettled;
			read = ftpsockConnectionRead(connection);
			if (read < 0)
				return volumeErrorName(read);
			if (0 == read)
				return kSettled;
			connection->base.offset = 0;
			connection->base.length = read;
		}
		count = send(connection->fd, connection->base.buffer + connection->base.offset, connection->base.length - connection->base.offset, MSG_NOSIGNAL);
		if (count >= 0) {
			connection->base.offset += count;
			connection->base.bytes += count;
			connection->progress = g_get_monotonic_time();
		}
		else if (EINTR == errno)
			continue;
		else if ((EAGAIN == errno) || (EWOULDBLOCK == errno))
			return NULL;
		else
			return ftpsockErrorName(errno);
	}
	return NULL;
}

// Gathers the next runs of the file; returns NULL with connection->runCount set (0 at the
// end of the file), or an error code.
static const char *gatherRuns(xsFtpSockConnection connection)
{
	uint32_t total = 0;
	uint16_t count = 0;
	const void *data;
	int32_t got;

	while ((count < kRunsPerSend) && (total < kSendfileChunk)) {
		got = volumeReadInPlace(connection->base.file, &data, kSendfileChunk - total);
		if (got <= 0) {
			// VOLUME_ENOTSUP before any run (nothing moved): the rest goes through the buffer
			if ((VOLUME_ENOTSUP == got) && !count) {
				connection->base.buffer = c_malloc(MODDEF_FTPSOCK_BUFFER);
				if (!connection->base.buffer)
					return volumeErrorName(VOLUME_ENOMEM);
				connection->base.bufferSize = MODDEF_FTPSOCK_BUFFER;
				c_free(connection->runs);
				connection->runs = NULL;
			}
			else if ((got < 0) && (VOLUME_ENOTSUP != got))
				return volumeErrorName(got);
			break;
		}
		connection->runs[count].iov_base = (void *)data;
		connection->runs[count].iov_len = got;
		count++;
		total += got;
	}
	connection->run = 0;
	connection->runCount = count;
	return NULL;
}

static const char *pumpSendInPlace(xsFtpSockConnection connection)
{
	int round;
	int32_t check;
	ssize_t count;
	struct msghdr message;
	const char *code;

	// runs left by the last wakeup: still in the mapping? (anything may have run since)
	if (connection->run < connection->runCount) {
		check = volumeReadInPlace(connection->base.file, NULL, 0);
		if (check < 0)
			return volumeErrorName(check);
	}
	if (connection->pipe[0] >= 0)
		return pumpLendInPlace(connection);
	c_memset(&message, 0, sizeof(message));
	for (round = 0; round < kRoundsPerWakeup; round++) {
		if (connection->run == connection->runCount) {
			code = gatherRuns(connection);
			if (code)
				return code;
			if (!connection->runs)
				return pumpSendBuffer(connection);
			if (0 == connection->runCount)
				return kSettled;
		}
		message.msg_iov = connection->runs + connection->run;
		message.msg_iovlen = connection->runCount - connection->run;
		count = sendmsg(connection->fd, &message, MSG_NOSIGNAL);
		if (count >= 0) {
			connection->base.bytes += count;
			connection->progress = g_get_monotonic_time();
			advanceRuns(connection, (size_t)count);
		}
		else if (EINTR == errno)
			continue;
		else if ((EAGAIN == errno) || (EWOULDBLOCK == errno))
			return NULL;
		else if (EFAULT == errno)
			return volumeErrorName(VOLUME_EIO);		// the image lost the pages under the runs
		else
			return ftpsockErrorName(errno);
	}
	return NULL;
}

// Moves `count` bytes' worth of runs past the ones sent or lent.
static void advanceRuns(xsFtpSockConnection connection, size_t count)
{
	while (count) {
		struct iovec *run = &connection->runs[connection->run];
		if (count < run->iov_len) {
			run->iov_base = (uint8_t *)run->iov_base + count;
			run->iov_len -= count;
			break;
		}
		count -= run->iov_len;
		connection->run++;
	}
}

// In place, without a copy: the runs go into the pipe as references to the mapping's pages
// (vmsplice), and from the pipe into the socket (splice). The pipe holds at most kLendPipe
// bytes: what the socket does not take waits there for the next wakeup, already lent.
static const char *pumpLendInPlace(xsFtpSockConnection connection)
{
	int round;
	ssize_t count;
	const char *code;

	for (round = 0; round < kRoundsPerWakeup; round++) {
		if (connection->run == connection->runCount) {
			code = gatherRuns(connection);
			if (code)
				return code;
			if (!connection->runs)	// no runs for the rest: the buffer goes on after what the pipe sent
				return connection->piped ? volumeErrorName(VOLUME_EIO) : pumpSendBuffer(connection);
		}
		if (connection->run < connection->runCount) {
			count = vmsplice(connection->pipe[1], connection->runs + connection->run, connection->runCount - connection->run, SPLICE_F_NONBLOCK);
			if (count > 0) {
				connection->lends = 1;
				connection->piped += count;
				advanceRuns(connection, count);
			}
			else if ((count < 0) && (EFAULT == errno))
				return volumeErrorName(VOLUME_EIO);		// the image lost the pages under the runs
			else if ((count < 0) && (EINTR != errno) && (EAGAIN != errno))
				return ftpsockErrorName(errno);
		}
		if (!connection->piped) {
			if (connection->run == connection->runCount)
				return kSettled;		// end of file, every byte in the socket
			continue;
		}
		count = splice(connection->pipe[0], NULL, connection->fd, NULL, connection->piped, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (count > 0) {
			connection->piped -= count;
			connection->base.bytes += count;
			connection->progress = g_get_monotonic_time();
		}
		else if (count < 0) {
			if (EINTR == errno)
				continue;
			if ((EAGAIN == errno) || (EWOULDBLOCK == errno))
				return NULL;
			return ftpsockErrorName(errno);
		}
	}
	return NULL;
}

const char *ftpsockPumpReceiveFile(FtpSockConnection connection)
{
	int round;
	int32_t written;
	ssize_t count;

	for (round = 0; round < kRoundsPerWakeup; round++) {
		count = recv(connection->fd, connection->base.buffer, connection->base.bufferSize, 0);
		if (count > 0) {
			written = volumeWrite(connection->base.file, connection->base.buffer, (uint32_t)count);
			if (written < 0)
				return volumeErrorName(written);
			connection->base.bytes += count;
			connection->progress = g_get_monotonic_time();
		}
		else if (0 == count) {
			connection->ended = g_get_monotonic_time();
			return kSettled;		// the client's FIN: end of file in stream mode (RFC 959 3.4.1)
		}
		else if (EINTR == errno)
			continue;
		else if ((EAGAIN == errno) || (EWOULDBLOCK == errno))
			return NULL;
		else
			return ftpsockErrorName(errno);
	}
	return NULL;
}
