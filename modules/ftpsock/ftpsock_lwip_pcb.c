/*
 * A data connection's pcb, in lwIP context: attached callbacks that only record and post, the
 * record's owners, the draining close, and the steps the XS side runs through lwipRun().
 */
#include "ftpsock_lwip.h"

void connectionAttach(xsFtpSockConnection connection, struct tcp_pcb *pcb)
{
	connection->pcb = pcb;
	tcp_arg(pcb, connection);
	tcp_recv(pcb, connectionOnReceive);
	tcp_sent(pcb, connectionOnSent);
	tcp_err(pcb, connectionOnError);
	tcp_poll(pcb, connectionOnPoll, kPollInterval);
}

// Before the pcb is closed or aborted: no callback may reach the record afterwards.
struct tcp_pcb *connectionDetach(xsFtpSockConnection connection)
{
	struct tcp_pcb *pcb = connection->pcb;

	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
	connection->pcb = NULL;
	return pcb;
}

// Frees the record once no owner is left. Returns 1 when it did: the caller must not touch it.
int connectionRelease(xsFtpSockConnection connection)
{
	if (connection->owned || connection->pcb || connection->posted)
		return 0;
	if (connection->received)
		pbuf_free(connection->received);
	c_free(connection);
	return 1;
}

void connectionPost(xsFtpSockConnection connection)
{
	if (connection->posted || !connection->owned)
		return;
	if (0 == modMessagePostToMachine(connection->base.the, NULL, 0, connectionDeliver, connection)) {
		connection->posted = 1;
		connection->repost = 0;
	}
	else
		connection->repost = 1;
}

// The lwIP side as the XS side may read it after lwipRun() returns.
void connectionObserve(xsFtpSockConnection connection)
{
	connection->seenAcked = connection->acked;
	connection->seenError = connection->error;
	connection->seenEvents = connection->events;
}

void connectionDiscardReceived(xsFtpSockConnection connection)
{
	if (!connection->received)
		return;
	if (connection->pcb)
		tcp_recved(connection->pcb, connection->received->tot_len);
	pbuf_free(connection->received);
	connection->received = NULL;
}

// Resets a detached pcb. A zero-window probe leaves snd_nxt one byte past what the peer took,
// and the reset carries snd_nxt: a peer whose window is closed drops a reset that is not at
// its next expected byte (RFC 5961 3.2; lwIP 2.1 and Linux alike) and waits on. With the window
// closed nothing is in flight past the last acknowledged byte, so the reset goes there.
void connectionResetPcb(struct tcp_pcb *pcb)
{
	if (0 == pcb->snd_wnd)
		pcb->snd_nxt = pcb->lastack;
	tcp_abort(pcb);
}

// Closes once every queued byte is acknowledged (and no refused data waits, which would turn
// tcp_close() into a reset). Returns ERR_ABRT when it reset the pcb, for callbacks to return.
// May free the record.
err_t connectionCloseTry(xsFtpSockConnection connection)
{
	struct tcp_pcb *pcb = connection->pcb;
	err_t err;

	if (tcp_sndqueuelen(pcb) || pcb->refused_data) {
		if (connection->polls < kDrainPolls)
			return ERR_OK;
		connectionResetPcb(connectionDetach(connection));
		connection->closing = 0;
		connectionRelease(connection);
		return ERR_ABRT;
	}
	connectionDetach(connection);
	err = tcp_close(pcb);
	if (ERR_OK != err) {
		connectionAttach(connection, pcb);		// out of memory for the FIN: tcp_poll tries again
		return ERR_OK;
	}
	connection->closing = 0;
	connectionRelease(connection);
	return ERR_OK;
}

err_t connectionOnConnected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	xsFtpSockConnection connection = arg;

	(void)pcb;
	(void)err;		// always ERR_OK: a failed connect is reported to tcp_err
	connection->events |= kEventConnected;
	connectionPost(connection);
	return ERR_OK;
}

err_t connectionOnReceive(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	xsFtpSockConnection connection = arg;

	(void)err;		// always ERR_OK
	if (!p) {
		connection->events |= kEventFin;
		connectionPost(connection);
		return ERR_OK;
	}
	if (connection->closing || !connection->owned) {
		// Nobody reads any more: taken as read, so that the close ends with FIN, not RST.
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	if (connection->received) {
		// The chain's tot_len is 16 bits; lwIP keeps what is refused and offers it again.
		if (((uint32_t)connection->received->tot_len + p->tot_len) > kMaxChunk)
			return ERR_MEM;
		pbuf_cat(connection->received, p);
	}
	else
		connection->received = p;
	connectionPost(connection);
	return ERR_OK;
}

err_t connectionOnSent(void *arg, struct tcp_pcb *pcb, u16_t length)
{
	xsFtpSockConnection connection = arg;

	(void)pcb;
	connection->acked += length;
	if (connection->closing)
		return connectionCloseTry(connection);
	connectionPost(connection);
	return ERR_OK;
}

err_t connectionOnPoll(void *arg, struct tcp_pcb *pcb)
{
	xsFtpSockConnection connection = arg;

	(void)pcb;
	if (connection->closing) {
		connection->polls++;
		return connectionCloseTry(connection);
	}
	if (connection->stalled || connection->repost) {
		connection->stalled = 0;
		connectionPost(connection);
	}
	if (connection->listener && connection->listener->repost)
		listenerPost(connection->listener);
	return ERR_OK;
}

// "The corresponding pcb is already freed when this callback is called!"
void connectionOnError(void *arg, err_t err)
{
	xsFtpSockConnection connection = arg;

	connection->pcb = NULL;
	connection->error = err;
	connection->events |= kEventError;
	connection->closing = 0;
	connectionPost(connection);
	connectionRelease(connection);
}

void connectionCollectInLwip(void *context)
{
	ConnectionStepRecord *step = context;
	xsFtpSockConnection connection = step->connection;

	connection->posted = 0;
	connectionObserve(connection);
	step->freed = (uint8_t)connectionRelease(connection);
}

void connectionKickInLwip(void *context)
{
	connectionPost(context);
}

void connectionConnectInLwip(void *context)
{
	ConnectionStepRecord *step = context;
	xsFtpSockConnection connection = step->connection;
	struct tcp_pcb *pcb = tcp_new();

	if (!pcb) {
		step->error = ERR_MEM;
		return;
	}
	connectionAttach(connection, pcb);
	step->error = tcp_connect(pcb, &connection->remote, connection->remotePort, connectionOnConnected);
	if (ERR_OK != step->error)
		tcp_close(connectionDetach(connection));		// never connected: frees it
}

void connectionAbortInLwip(void *context)
{
	xsFtpSockConnection connection = context;

	if (connection->pcb)
		connectionResetPcb(connectionDetach(connection));
	if (connection->received) {
		pbuf_free(connection->received);
		connection->received = NULL;
	}
}

// Starts the draining close.
void connectionCloseInLwip(void *context)
{
	xsFtpSockConnection connection = context;

	connectionDiscardReceived(connection);
	if (!connection->pcb)
		return;
	connection->closing = 1;
	connection->polls = 0;
	connectionCloseTry(connection);		// the XS object still owns the record: not freed here
}

void connectionDisownInLwip(void *context)
{
	xsFtpSockConnection connection = context;

	connection->owned = 0;
	connectionRelease(connection);
}
