#include "tcp.h"

/*
	tcppeer (see tcppeer.js): whether a connection's peer is still there, as the kernel knows it
	now, and a wait of a grace for it to close. The session asks this of the control connection
	before committing an upload: the queued events of the loop (onError after a FIN or RST) may
	not have run yet, and the FIN or RST of a dying client may still be on its way.

	A client on this machine need not be waited for: its process tells (tcp_peer_process.c).
	Every thread sleeping at one instant, none dying, and its end of the connection still
	established then: every close it was making is made, and the answer is given at once.
	Running: looked at again every kTCPPeerLook µs until it sleeps or the grace ends. Exiting:
	the grace, as for a client the kernel cannot tell of (a remote one), ended early when the
	FIN or RST is seen.
*/

// A FIN (half-close), a reset or an error the kernel has seen on the connection, whether or
// not the loop has delivered it yet (`ask`: ask the kernel; else only what the record knows).
// A FIN behind unread bytes counts as well: POLLRDHUP is set once the kernel has received it,
// not once it has been read.
static uint8_t tcpPeerGone(TCP tcp, uint8_t ask)
{
	struct pollfd request;

	if ((tcp->fd < 0) || tcp->eof || tcp->failure || tcp->reported || !tcp->ready)
		return 1;
	if (!ask)
		return 0;
	request.fd = tcp->fd;
	request.events = POLLRDHUP;
	request.revents = 0;
	if (poll(&request, 1, 0) < 0)
		return 0;		// EINTR, ENOMEM: nothing known against the peer
	return (request.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) ? 1 : 0;
}

// glibc's struct tcp_info ends before the kernel's tcpi_min_rtt (Linux 4.10): the fields that
// follow it, as <linux/tcp.h> declares them (it cannot be included beside <netinet/tcp.h>).
// A kernel that fills less leaves `length` short of minRTT.
struct TCPInfoRecord {
	struct tcp_info	info;
	uint64_t		pacingRate;
	uint64_t		maxPacingRate;
	uint64_t		bytesAcked;
	uint64_t		bytesReceived;
	uint32_t		segmentsOut;
	uint32_t		segmentsIn;
	uint32_t		notSentBytes;
	uint32_t		minRTT;			// µs, the smallest round trip seen in the last 5 minutes
};

// How long, in microseconds, a dying peer's FIN or RST on this connection may trail its data
// connection's FIN.
//
// A client that dies closes its sockets one after the other, in no order we know. On the same
// machine the first FIN wakes the server, which may take the CPU from the dying client before
// it closes the other socket: measured with curl killed mid-upload on a busy 2-CPU machine,
// the control connection's FIN or RST came 80 to 320 µs after the session's first check in
// 10 kills of 11, once 1.1 ms. Across a network the two segments are also apart by the path's
// jitter, which grows with its round trip. So: a constant for the client, plus half the
// connection's smallest round trip (the smoothed tcpi_rtt is no measure here: a client's
// delayed ACKs of replies inflate it, to about 5 ms on loopback), capped; extended on a busy
// machine (tcpPeerWaited). FTPD_CLOSE_GRACE_US sets a fixed grace instead, never extended.
// FTPD_CLOSE_GRACE_US: the grace it forces, µs; -1 when not set
static int32_t tcpPeerForced(void)
{
	static int32_t forced = -2;		// -2: not read yet

	if (-2 == forced) {
		const char *value = getenv("FTPD_CLOSE_GRACE_US");
		forced = (value && *value) ? (int32_t)strtol(value, NULL, 10) : -1;
		if (forced < -1)
			forced = -1;
	}
	return forced;
}

static uint32_t tcpPeerGrace(TCP tcp, uint8_t *extend)
{
	int32_t forced = tcpPeerForced();
	struct TCPInfoRecord info;
	socklen_t length = sizeof(info);
	uint32_t grace;

	*extend = forced < 0;
	if (forced >= 0)
		return (uint32_t)forced;
	// the minimum round trip moves slowly: asked of the kernel once every few uploads
	if (tcp->peerGrace && (tcp->peerGraceUses++ & 15))
		return tcp->peerGrace;
	c_memset(&info, 0, sizeof(info));
	if ((getsockopt(tcp->fd, IPPROTO_TCP, TCP_INFO, &info, &length) < 0) || (length < sizeof(info)))
		grace = kTCPPeerGraceDefault;
	else
		grace = kTCPPeerGraceMin + (info.minRTT / 2);
	tcp->peerGrace = (grace > kTCPPeerGraceMax) ? kTCPPeerGraceMax : grace;
	tcp->peerGraceUses = 1;
	return tcp->peerGrace;
}

// Whether the client's process is asked (FTPD_PEER_PROCESS=0: never, for comparisons)
static uint8_t tcpPeerProcessWanted(void)
{
	static int8_t wanted = -1;

	if (wanted < 0) {
		const char *value = getenv("FTPD_PEER_PROCESS");
		wanted = !(value && ('0' == value[0]) && !value[1]);
	}
	return (uint8_t)wanted;
}

// Whether a client process seen sleeping, its end established, ends the grace at once: by
// default (FTPD_PEER_PROCESS=grace: not, for comparisons; the process then only ever makes the
// wait longer, a client seen running on a busy machine or exiting, or ends it with an abort,
// its end closed). It was off by default while its threads were read once each, one after the
// other: two soaks committed a partial upload of a client that closed its data connection and
// then its control connection at once, seen sleeping while one of its threads always ran
// (tcp_peer_process.c reads them twice since).
static uint8_t tcpPeerProcessEarly(void)
{
	static int8_t early = -1;

	if (early < 0) {
		const char *value = getenv("FTPD_PEER_PROCESS");
		early = (value && (0 == c_strcmp(value, "grace"))) ? 0 : 1;
	}
	return (uint8_t)early;
}

// How an answer was reached: the second argument of the callback, which the session logs
enum {
	kTCPPeerHowGrace = 0,		// the grace, no client process known (remote, not found, shared)
	kTCPPeerHowGraceRunning,	// the grace, the client process still running at its end
	kTCPPeerHowGraceExiting,	// the client process exiting: watched until its FIN or RST, within the bound
	kTCPPeerHowGraceFixed,		// the grace FTPD_CLOSE_GRACE_US sets, no process asked
	kTCPPeerHowGraceOff,		// the grace, FTPD_PEER_PROCESS=0
	kTCPPeerHowSleeping,		// the client process sleeping, its end established
	kTCPPeerHowClosed,			// the client's end closed or shut down (sock_diag)
	kTCPPeerHowGraceStarved,	// the client process still running after the grace, on an oversubscribed machine
};
// [how][gone]: the text when the peer is still there, and when it is gone
static const char *const gTCPPeerHows[][2] = {
	{"grace", "gone (grace)"},
	{"grace, peer process running", "gone (peer process running)"},
	{"grace, peer process exiting", "gone (peer process exiting)"},
	{"grace (fixed)", "gone (grace fixed)"},
	{"grace (peer process not asked)", "gone (peer process not asked)"},
	{"peer process sleeping", "gone (peer process sleeping)"},
	{"peer closed", "gone (peer's end closed)"},
	{"grace and more, peer process running on a busy machine", "gone (peer process running on a busy machine)"},
};

// The pending waits, earliest first, behind one timerfd and one fd watch for the process,
// made at the first wait and kept: a timerfd and a watch per wait cost five more system calls
// per upload (GLib wakes its own loop through its eventfd when a watch comes and goes).
struct TCPPeerWaitRecord {
	struct TCPPeerWaitRecord	*next;
	TCP				tcp;
	xsMachine		*the;
	xsSlot			callback;
	gint64			started;		// monotonic µs, as the timerfd's CLOCK_MONOTONIC: the data connection's FIN
	gint64			due;			// of the next look
	gint64			end;			// of the grace
	uint8_t			extend;			// the grace may be extended on a busy machine (not a forced one)
	uint8_t			watch;			// kTCPPeerProcessRunning or kTCPPeerProcessExiting: the client process is looked at again; 0: not
	uint8_t			how;			// kTCPPeerHowGrace...: the answer at the grace's end, when open
};
typedef struct TCPPeerWaitRecord TCPPeerWaitRecord;
typedef struct TCPPeerWaitRecord *TCPPeerWait;

static TCPPeerWait gTCPPeerWaits = NULL;
static int gTCPPeerTimer = -1;

static gboolean tcpPeerWaited(gint fd, GIOCondition condition, gpointer data);

// Frees the wait and calls its callback(open, how) (it may confirm again, or throw).
static void tcpPeerAnswer(TCPPeerWait wait, uint8_t open, uint8_t how)
{
	xsMachine *the = wait->the;

	xsBeginHost(the);
		xsResult = wait->callback;
		xsForget(wait->callback);
		c_free(wait);
		xsCallFunction2(xsResult, xsUndefined, open ? xsTrue : xsFalse, xsStringX((char *)gTCPPeerHows[how][!open]));
	xsEndHost(the);
}

// The next look of a wait: soon while the client process is watched, else the grace's end.
// The looks space out as the wait goes on (a quarter of the time waited so far): each costs
// tens of µs of CPU, which a client kept from the CPU on a busy machine needs more than we do.
static gint64 tcpPeerNextLook(TCPPeerWait wait, gint64 now)
{
	gint64 step = (now - wait->started) / 4;

	if (step < kTCPPeerLook)
		step = kTCPPeerLook;
	return (wait->watch && ((now + step) < wait->end)) ? (now + step) : wait->end;
}

// A client process seen exiting closes every socket it holds (the lookup made sure no other
// process holds this one): its FIN or RST is waited for up to the grace's bound, not only the
// grace, as a busy machine may keep a dying client from the CPU for milliseconds. What ends the
// wait early: the FIN or RST, its end of the connection closed, or the process no longer exiting
// (a thread that ended, not the process).
static void tcpPeerWatch(TCPPeerWait wait, uint8_t process)
{
	wait->watch = (kTCPPeerProcessUnknown == process) ? 0 : process;
	if (kTCPPeerProcessRunning == process)
		wait->how = kTCPPeerHowGraceRunning;
	else if (kTCPPeerProcessExiting == process) {
		wait->how = kTCPPeerHowGraceExiting;
		if (wait->end < (wait->started + kTCPPeerGraceMax))
			wait->end = wait->started + kTCPPeerGraceMax;
	}
}

// The grace is over and the client process still runs. On a machine with more runnable tasks
// than CPUs it may be kept from the CPU between its two closes (the scheduler's timeslices are
// milliseconds): it is looked at until it sleeps, within the grace's bound. With CPUs to spare,
// a process that still runs is working (a busy thread of a client that lives on), and the grace
// ends as it would. Seen without it: with 2 busy loops on 2 CPUs, a Node client that closes
// data then control in one tick was kept from the CPU for the whole grace, and its partial
// upload committed, in 2 of 9 runs of the client-death test with the host's own check.
static uint8_t tcpPeerStarved(TCPPeerWait wait, gint64 now)
{
	if ((kTCPPeerProcessRunning != wait->watch) || !wait->extend || ((now - wait->started) >= kTCPPeerGraceMax))
		return 0;
	return tcpPeerProcessOversubscribed();
}

// A look at the client process within the grace: 1 when it answers, with `open` and the how
// (kTCPPeerHowSleeping, kTCPPeerHowClosed, or the wait's own when this end saw the FIN or RST);
// else 0 and the watch updated. The threads are read before the socket is polled.
static uint8_t tcpPeerLook(TCPPeerWait wait, uint8_t *open, uint8_t *how)
{
	TCP tcp = wait->tcp;
	uint8_t process = tcpPeerProcessLook(&tcp->peerProcess, &tcp->local, &tcp->remote);

	*open = 0;
	if (kTCPPeerProcessClosed == process) {
		*how = kTCPPeerHowClosed;
		return 1;
	}
	if (tcpPeerGone(tcp, 1)) {
		*how = wait->how;
		return 1;
	}
	if (kTCPPeerProcessSleeping == process) {
		if (!tcpPeerProcessEarly()) {
			// asleep with its end open: the grace decides, as for a client not found
			wait->watch = 0;
			wait->how = kTCPPeerHowGrace;
			return 0;
		}
		*open = 1;
		*how = kTCPPeerHowSleeping;
		return 1;
	}
	// an exiting process may no longer be found once gone: it stays watched
	if ((kTCPPeerProcessUnknown == process) && (kTCPPeerProcessExiting == wait->watch))
		process = kTCPPeerProcessExiting;
	tcpPeerWatch(wait, process);
	return 0;
}

static void tcpPeerInsert(TCPPeerWait wait)
{
	TCPPeerWait *link = &gTCPPeerWaits;

	while (*link && ((*link)->due <= wait->due))
		link = &(*link)->next;
	wait->next = *link;
	*link = wait;
}

// Arms the timer for the earliest wait. With none left it has just fired, and a one-shot
// timer that has fired is disarmed: nothing to do.
static void tcpPeerSchedule(void)
{
	struct itimerspec when = {0};

	if (!gTCPPeerWaits)
		return;
	when.it_value.tv_sec = (time_t)(gTCPPeerWaits->due / 1000000);
	when.it_value.tv_nsec = (long)(gTCPPeerWaits->due % 1000000) * 1000;
	timerfd_settime(gTCPPeerTimer, TFD_TIMER_ABSTIME, &when, NULL);
}

gboolean tcpPeerWaited(gint fd, GIOCondition condition, gpointer data)
{
	uint64_t expirations;
	gint64 now;

	(void)condition;
	(void)data;
	if (read(fd, &expirations, sizeof(expirations)) < 0)
		;		// EAGAIN: re-armed since it fired; the times below are what count
	now = g_get_monotonic_time();
	while (gTCPPeerWaits && (gTCPPeerWaits->due <= now)) {
		TCPPeerWait wait = gTCPPeerWaits;
		uint8_t open, how;
		gint64 late = now - wait->due;

		gTCPPeerWaits = wait->next;
		if (wait->watch && ((now < wait->end) || tcpPeerStarved(wait, now))) {
			if (!tcpPeerLook(wait, &open, &how)) {
				if ((wait->end <= now) && (kTCPPeerProcessRunning == wait->watch)) {
					// starved: one look more
					gint64 step = (now - wait->started) / 4;
					wait->end = now + ((step > kTCPPeerLook) ? step : kTCPPeerLook);
					wait->how = kTCPPeerHowGraceStarved;
				}
				wait->due = tcpPeerNextLook(wait, now);
				tcpPeerInsert(wait);
				continue;
			}
		}
		else {
			open = !tcpPeerGone(wait->tcp, 1);
			how = wait->how;
			// Woken late, by half the grace or more: the machine is so busy that a client dying
			// on it (one on loopback) may not have had the CPU to close its other socket either.
			// The grace goes on for as long again, within the bound.
			if (open && wait->extend && ((late * 2) >= (wait->end - wait->started)) && ((now - wait->started) < kTCPPeerGraceMax)) {
				wait->end = now + ((late > 0) ? late : 1);
				wait->due = tcpPeerNextLook(wait, now);
				tcpPeerInsert(wait);
				continue;
			}
		}
		tcpRelease(wait->tcp);
		tcpPeerAnswer(wait, open, how);
		now = g_get_monotonic_time();
	}
	tcpPeerSchedule();
	return G_SOURCE_CONTINUE;
}

// confirm(socket, callback[, elapsed]): false when the peer is known to be gone now (no
// callback follows); else true, and callback(open, how) is called once the answer is known:
// at once for a sleeping client process on this machine (before confirm returns), else from
// the loop once the grace has passed (or the watched client's FIN came), with what the kernel
// knows then. `how` says how the answer was reached (gTCPPeerHows). `elapsed`: µs since the data connection's FIN,
// where the grace is timed from (closing the file and a turn of JS took that part of it).
void xs_tcppeer_confirm(xsMachine *the)
{
	TCP tcp = xsmcGetHostDataValidate(xsArg(0), (void *)&xsTCPHooks);
	TCPPeerWait wait;
	gint64 now, elapsed = 0, grace;
	uint8_t extend, how, process = kTCPPeerProcessUnknown;

	if (!tcp || tcpPeerGone(tcp, 0)) {
		xsmcSetFalse(xsResult);
		return;
	}
	if (!xsmcIsCallable(xsArg(1)))
		xsTypeError("no callback");
	if (xsmcArgc > 2) {
		xsNumberValue value = xsmcToNumber(xsArg(2));
		if (value > 0)		// NaN and -1 (no FIN known): none
			elapsed = (value < kTCPPeerGraceMax) ? (gint64)value : kTCPPeerGraceMax;
	}
	grace = tcpPeerGrace(tcp, &extend);
	// a forced grace is the grace alone: the client-death test measures that mechanism with it
	how = !extend ? kTCPPeerHowGraceFixed : tcpPeerProcessWanted() ? kTCPPeerHowGrace : kTCPPeerHowGraceOff;
	if ((kTCPPeerHowGrace == how) && tcp->hasAddresses)
		process = tcpPeerProcessLook(&tcp->peerProcess, &tcp->local, &tcp->remote);
	if ((kTCPPeerProcessSleeping == process) && !tcpPeerProcessEarly())
		process = kTCPPeerProcessUnknown;		// the grace decides
	if ((kTCPPeerProcessSleeping == process) || (kTCPPeerProcessClosed == process)) {
		// answered at once: the threads were read before the socket is polled here
		uint8_t open = (kTCPPeerProcessSleeping == process) && !tcpPeerGone(tcp, 1);
		how = (kTCPPeerProcessClosed == process) ? kTCPPeerHowClosed : kTCPPeerHowSleeping;
		xsCallFunction2(xsArg(1), xsUndefined, open ? xsTrue : xsFalse, xsStringX((char *)gTCPPeerHows[how][!open]));
		xsmcSetTrue(xsResult);
		return;
	}
	if (gTCPPeerTimer < 0) {
		// a timerfd, as GLib rounds its own timeouts up to whole milliseconds
		gTCPPeerTimer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (gTCPPeerTimer < 0)
			xsUnknownError("no timer: %s", strerror(errno));
		ftpsockWatch(gTCPPeerTimer, G_IO_IN, tcpPeerWaited, NULL);
	}
	wait = c_calloc(1, sizeof(TCPPeerWaitRecord));
	if (!wait)
		xsRangeError("no memory");
	now = g_get_monotonic_time();
	wait->extend = extend;
	// What passed since the FIN counts only when it is short (closing the file and a turn of JS
	// take microseconds): a check that came late by half the grace or more, as a late wakeup,
	// found a busy machine, where a dying client may have been kept from the CPU as long.
	if ((elapsed * 2) >= grace)
		elapsed = 0;
	wait->started = now - elapsed;
	wait->end = wait->started + grace;
	// at least one wait, however short: a client this server's wakeup took the CPU from gets it back
	if (wait->end <= now)
		wait->end = now + 1;
	// running: looked at again; exiting: its FIN or RST watched for; unknown: the grace alone
	wait->how = how;
	tcpPeerWatch(wait, process);
	wait->due = tcpPeerNextLook(wait, now);
	wait->the = the;
	wait->tcp = tcp;
	tcpHold(tcp);
	wait->callback = xsArg(1);
	xsRemember(wait->callback);
	tcpPeerInsert(wait);
	if (gTCPPeerWaits == wait)
		tcpPeerSchedule();
	xsmcSetTrue(xsResult);
}

// prepare(socket): the client's process looked for now, once per connection, while it is alive
// (a client killed in its first upload has no fds left to find by its commit)
void xs_tcppeer_prepare(xsMachine *the)
{
	TCP tcp = xsmcGetHostDataValidate(xsArg(0), (void *)&xsTCPHooks);

	if (tcp && tcp->hasAddresses && !tcp->peerProcess.pid && (tcpPeerForced() < 0) && tcpPeerProcessWanted())
		tcpPeerProcessFind(&tcp->peerProcess, &tcp->local, &tcp->remote);
}
