/*
 * A TCP record's life and events (tcp.c says how the sockets behave): creation and release,
 * the fd watch and the idle delivery, reading into the input queue, flushing the output queue,
 * EOF and errors delivered to JS in lwIP's order.
 */
#include "tcp.h"

TCP tcpCreate(void)
{
	TCP tcp = c_calloc(1, sizeof(TCPRecord));
	if (!tcp)
		return NULL;
	tcp->fd = -1;
	tcp->format = kIOFormatBuffer;
	tcp->useCount = 1;		// the JS object
	return tcp;
}

void tcpHold(TCP tcp)
{
	tcp->useCount += 1;
}

void tcpRelease(TCP tcp)
{
	tcp->useCount -= 1;
	if (tcp->useCount <= 0)
		tcpFree(tcp);
}

void tcpFree(TCP tcp)
{
	if (tcp->watch)
		g_source_remove(tcp->watch);
	if (tcp->idle)
		g_source_remove(tcp->idle);
	if (tcp->fd >= 0)
		close(tcp->fd);
	tcpPeerProcessForget(&tcp->peerProcess);		// tcppeer's fds on the client process
	c_free(tcp);
}

// Unlinks the record from its JS object, which may then be collected. The caller inherits
// the object's hold on the record.
void tcpDetach(xsMachine *the, xsSlot *instance, TCP tcp)
{
	xsmcSetHostData(*instance, NULL);
	xsmcSetHostDestructor(*instance, NULL);
	xsForget(tcp->obj);
	tcp->attached = 0;
	tcp->onReadable = tcp->onWritable = tcp->onError = NULL;
	tcp->readable = 0;
}

void tcpEstablished(TCP tcp)
{
	socklen_t length;

	tcp->connecting = 0;
	tcp->ready = 1;
	if (tcp->hasAddresses)
		return;
	// kept, so that the getters still answer once the peer has gone
	length = sizeof(tcp->local);
	if (getsockname(tcp->fd, (struct sockaddr *)&tcp->local, &length) < 0)
		return;
	length = sizeof(tcp->remote);
	if (getpeername(tcp->fd, (struct sockaddr *)&tcp->remote, &length) < 0)
		return;
	tcp->hasAddresses = 1;
}

void tcpFail(TCP tcp, int failure)
{
	tcp->failure = failure ? failure : EIO;
	tcp->connecting = 0;
	tcp->outStart = tcp->outEnd = 0;		// nobody will take these bytes now
	// a send failing after the callbacks ran (or from a JS call) leaves no watch to report it
	if (tcp->attached)
		tcpSchedule(tcp);
}

void tcpReceive(TCP tcp)
{
	ssize_t count;

	if (tcp->inStart) {
		c_memmove(tcp->input, tcp->input + tcp->inStart, tcpInputUsed(tcp));
		tcp->inEnd -= tcp->inStart;
		tcp->inStart = 0;
	}
	if (kTCPInputSize == tcp->inEnd)
		return;

	do {
		count = recv(tcp->fd, tcp->input + tcp->inEnd, kTCPInputSize - tcp->inEnd, MSG_DONTWAIT);
	} while ((count < 0) && (EINTR == errno));

	if (count > 0) {
		tcp->inEnd += (uint32_t)count;
		tcp->readable = 1;
	}
	else if (0 == count)
		tcp->eof = 1;
	else if ((EAGAIN != errno) && (EWOULDBLOCK != errno))
		tcpFail(tcp, errno);
}

void tcpFlush(TCP tcp)
{
	while (tcpOutputUsed(tcp) && (tcp->fd >= 0) && !tcp->failure) {
		ssize_t count = send(tcp->fd, tcp->output + tcp->outStart, tcpOutputUsed(tcp), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (count > 0)
			tcp->outStart += (uint32_t)count;
		else if ((count < 0) && (EINTR == errno))
			continue;
		else if ((count < 0) && ((EAGAIN == errno) || (EWOULDBLOCK == errno)))
			break;
		else
			tcpFail(tcp, (count < 0) ? errno : EIO);
	}
	if (tcp->outStart == tcp->outEnd)
		tcp->outStart = tcp->outEnd = 0;
}

// The last step of close(), once the queue is flushed (or cannot be).
void tcpFinish(TCP tcp)
{
	if (tcp->fd >= 0) {
		// Closing a socket with unread input makes the kernel reset the connection, and a
		// reset can destroy the reply just flushed before the peer reads it: discard what
		// has already arrived so that close() ends with a FIN.
		uint8_t scratch[2048];
		int rounds = 32;
		while (rounds-- && (recv(tcp->fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0))
			;
		if (tcp->watch) {
			g_source_remove(tcp->watch);	// also fine from the source's own callback
			tcp->watch = 0;
			tcp->watching = 0;
		}
		close(tcp->fd);
		tcp->fd = -1;
	}
	if (tcp->closing) {
		tcp->closing = 0;
		tcpRelease(tcp);		// the flush's hold
	}
}

// Asks the loop for exactly the conditions the record needs now.
void tcpWatch(TCP tcp)
{
	GIOCondition wanted = 0;

	if ((tcp->fd >= 0) && !tcp->failure) {
		if (tcp->connecting)
			wanted = G_IO_OUT;
		else if (tcp->ready) {
			if (tcpOutputUsed(tcp))
				wanted |= G_IO_OUT;
			if (tcp->attached) {
				if (!tcp->eof && (tcpInputUsed(tcp) < kTCPInputSize))
					wanted |= G_IO_IN;
				// room the JS side has not been told about: announced from the loop, at once
				// when the queue is empty (the kernel took it all), else once G_IO_OUT drains it
				if (tcp->onWritable && !tcp->reported && (tcpOutputFree(tcp) > tcp->announced) && !tcpOutputUsed(tcp))
					tcpSchedule(tcp);
			}
		}
	}

	if (wanted == tcp->watching)
		return;
	if (tcp->watch)
		g_source_remove(tcp->watch);	// also fine from the source's own callback
	tcp->watch = wanted ? ftpsockWatch(tcp->fd, wanted, tcpReady, tcp) : 0;
	tcp->watching = wanted;
}

void tcpSchedule(TCP tcp)
{
	// default priority: at the idle priority it would starve behind busy sockets
	if (!tcp->idle)
		tcp->idle = g_idle_add_full(G_PRIORITY_DEFAULT, tcpIdle, tcp, NULL);
}

gboolean tcpIdle(gpointer data)
{
	TCP tcp = data;

	tcp->idle = 0;
	tcpHold(tcp);
	tcp->busy = 1;
	tcpDeliver(tcp);
	tcp->busy = 0;
	tcpSettle(tcp);
	tcpRelease(tcp);
	return G_SOURCE_REMOVE;
}

gboolean tcpReady(gint fd, GIOCondition condition, gpointer data)
{
	TCP tcp = data;

	(void)fd;
	tcpHold(tcp);
	tcp->busy = 1;

	if (tcp->connecting) {
		int failure = 0;
		socklen_t length = sizeof(failure);
		if (getsockopt(tcp->fd, SOL_SOCKET, SO_ERROR, &failure, &length) < 0)
			failure = errno;
		if (failure)
			tcpFail(tcp, failure);
		else
			tcpEstablished(tcp);
	}
	else if (tcp->ready) {
		if ((condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)) && (tcp->watching & G_IO_IN))
			tcpReceive(tcp);
		if ((condition & G_IO_ERR) && !tcp->failure) {
			int failure = 0;
			socklen_t length = sizeof(failure);
			if ((0 == getsockopt(tcp->fd, SOL_SOCKET, SO_ERROR, &failure, &length)) && failure)
				tcpFail(tcp, failure);
		}
		tcpFlush(tcp);
	}

	tcpDeliver(tcp);
	tcp->busy = 0;
	tcpSettle(tcp);
	tcpRelease(tcp);
	return G_SOURCE_CONTINUE;
}

// After the callbacks: sends what they wrote (the end of the JS turn), finishes a close
// whose queue is empty, and asks the loop for what is needed next.
void tcpSettle(TCP tcp)
{
	tcpFlush(tcp);
	if (tcp->closing && (!tcpOutputUsed(tcp) || tcp->failure))
		tcpFinish(tcp);
	else if (tcp->fd >= 0)
		tcpWatch(tcp);
}

// Calls back in the lwIP order: onReadable, then onWritable, then onError once nothing
// buffered is left. Any callback may close the socket: check before each.
void tcpDeliver(TCP tcp)
{
	xsMachine *the = tcp->the;

	if (!tcp->attached)
		return;

	if (tcp->readable) {
		tcp->readable = 0;
		if (tcp->onReadable && tcpInputUsed(tcp)) {
			xsBeginHost(the);
				xsmcSetInteger(xsResult, tcpInputUsed(tcp));
				xsCallFunction1(xsReference(tcp->onReadable), tcp->obj, xsResult);
			xsEndHost(the);
			if (!tcp->attached)
				return;
		}
	}

	if (tcp->ready && !tcp->failure && !tcp->reported && tcp->onWritable) {
		uint32_t available = tcpOutputFree(tcp);
		if (available > tcp->announced) {
			tcp->announced = available;
			xsBeginHost(the);
				xsmcSetInteger(xsResult, available);
				xsCallFunction1(xsReference(tcp->onWritable), tcp->obj, xsResult);
			xsEndHost(the);
			if (!tcp->attached)
				return;
		}
	}

	if ((tcp->eof || tcp->failure) && !tcpInputUsed(tcp) && !tcp->reported) {
		tcp->reported = 1;
		if (tcp->onError) {
			xsBeginHost(the);
				xsCallFunction0(xsReference(tcp->onError), tcp->obj);
			xsEndHost(the);
		}
	}
}

void xs_lin_tcp_mark(xsMachine* the, void* it, xsMarkRoot markRoot)
{
	TCP tcp = it;

	if (tcp->onReadable)
		(*markRoot)(the, tcp->onReadable);
	if (tcp->onWritable)
		(*markRoot)(the, tcp->onWritable);
	if (tcp->onError)
		(*markRoot)(the, tcp->onError);
}

