/*
 * receiveFile on lwIP: the received pbuf chain taken from lwIP's side, written straight to the
 * file, then acknowledged (tcp_recved) so the window reopens only for bytes already on flash.
 */
#include "ftpsock_lwip.h"

void connectionTakeInLwip(void *context)
{
	ConnectionStepRecord *step = context;
	xsFtpSockConnection connection = step->connection;

	step->chain = connection->received;
	connection->received = NULL;
	connectionObserve(connection);
}

// The chain's bytes are on flash (step->length of them): the window may open by as much.
void connectionConsumedInLwip(void *context)
{
	ConnectionStepRecord *step = context;
	xsFtpSockConnection connection = step->connection;

	pbuf_free(step->chain);
	if (connection->pcb && step->length)
		tcp_recved(connection->pcb, (u16_t)step->length);
}

// Writes what arrived straight from its pbufs, then lets lwIP open the window by as much.
const char *ftpsockPumpReceiveFile(xsFtpSockConnection connection)
{
	ConnectionStepRecord step;
	struct pbuf *q;
	int32_t result = 0;
	uint32_t total = 0;

	if (connection->startCode)
		return connection->startCode;
	c_memset(&step, 0, sizeof(step));
	step.connection = connection;
	lwipRun(connectionTakeInLwip, &step);
	if (step.chain) {
		for (q = step.chain; q; q = q->next) {
			if (!q->len)
				continue;
			result = volumeWrite(connection->base.file, q->payload, q->len);
			if (result < 0)
				break;
			total += q->len;
		}
		step.length = (result < 0) ? 0 : total;		// a failed transfer resets: no window to open
		lwipRun(connectionConsumedInLwip, &step);
		if (total) {
			connection->base.bytes += total;
			connectionProgress(connection);
			modInstrumentationAdjust(NetworkBytesRead, (int32_t)total);
		}
	}
	if (result < 0)
		return volumeErrorName(result);
	if (connection->seenEvents & kEventFin)
		return kSettled;		// the client's FIN: end of file in stream mode (RFC 959 3.4.1)
	if (connection->seenEvents & kEventError)
		return errorName(connection->seenError, 0);
	return NULL;
}
