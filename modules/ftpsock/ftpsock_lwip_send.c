/*
 * sendFile and send() on lwIP: the buffer handed to tcp_write() as far as the send buffer
 * allows (lwIP context), refilled from the file once the stack holds all of it (XS side).
 */
#include "ftpsock_lwip.h"

// Hands buffer[offset, length) to the stack, copied, as far as its send buffer allows.
void connectionWriteInLwip(void *context)
{
	xsFtpSockConnection connection = context;
	struct tcp_pcb *pcb = connection->pcb;
	uint32_t length, available;
	uint8_t output = 0;
	err_t err;

	while (pcb && (connection->base.offset < connection->base.length)) {
		length = connection->base.length - connection->base.offset;
		available = tcp_sndbuf(pcb);
		if (length > available)
			length = available;
		if (length > kMaxChunk)
			length = kMaxChunk;
		if (!length)
			break;					// the send buffer is full: tcp_sent reports room
		err = tcp_write(pcb, connection->base.buffer + connection->base.offset, (u16_t)length, TCP_WRITE_FLAG_COPY);
		if (ERR_MEM == err) {		// out of segments or pbufs
			if (!tcp_sndqueuelen(pcb))
				connection->stalled = 1;		// nothing in flight, so no tcp_sent: poll
			break;
		}
		if (ERR_OK != err) {
			connection->writeCode = "ECONNRESET";	// the pcb no longer sends (ERR_CONN...)
			break;
		}
		connection->base.offset += length;
		connection->base.bytes += length;
		output = 1;
	}
	if (output)
		tcp_output(pcb);
	connectionObserve(connection);
}

// What the stack took or the peer acknowledged since the last pump is progress.
static void connectionWritten(xsFtpSockConnection connection, uint64_t before)
{
	if ((before != connection->base.bytes) || (connection->lastAcked != connection->seenAcked)) {
		connection->lastAcked = connection->seenAcked;
		connectionProgress(connection);
	}
	modInstrumentationAdjust(NetworkBytesWritten, (int32_t)(connection->base.bytes - before));
}

// Hands the buffer to the stack as far as its send buffer allows, and refills it once it took
// all. Reads at most one buffer beyond what the stack took, so a transfer's turn is bounded by
// the send buffer and does not starve the other sessions.
const char *ftpsockPumpSendFile(xsFtpSockConnection connection)
{
	uint64_t before;
	int32_t result;

	if (connection->startCode)
		return connection->startCode;
	for (;;) {
		before = connection->base.bytes;
		lwipRun(connectionWriteInLwip, connection);
		connectionWritten(connection, before);
		if (connection->seenEvents & kEventError)
			return errorName(connection->seenError, 0);
		if (connection->writeCode)
			return connection->writeCode;
		if (connection->base.offset < connection->base.length)
			return NULL;			// tcp_sent will report room
		if (connection->eof)
			return kSettled;		// the stack holds every byte
		result = ftpsockConnectionRead(connection);
		if (result < 0)
			return volumeErrorName(result);
		connection->base.offset = 0;
		connection->base.length = (uint32_t)result;
		if (0 == result)
			connection->eof = 1;
	}
}

const char *ftpsockPumpSendBytes(xsFtpSockConnection connection)
{
	uint64_t before = connection->base.bytes;

	if (connection->startCode)
		return connection->startCode;
	lwipRun(connectionWriteInLwip, connection);
	connectionWritten(connection, before);
	if (connection->writeCode)
		return connection->writeCode;
	if (connection->base.offset == connection->base.length)
		return kSettled;
	if (connection->seenEvents & kEventError)
		return errorName(connection->seenError, 0);
	return NULL;
}
