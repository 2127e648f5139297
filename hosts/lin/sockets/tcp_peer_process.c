/*
	tcppeer's view of a client on this machine: whether the process at the other end of a
	control connection is sleeping, running or exiting, as the kernel knows it now.

	Why it tells whether a dying client's control FIN or RST is still to come: a client killed
	by a signal marks its threads (PF_SIGNALED, then PF_EXITING) before it closes any socket,
	and stays marked (then a zombie, then gone); a client that closes its data connection and
	then its control connection runs between the two closes. A client whose every thread
	sleeps, none of them marked, after its data connection's FIN reached us has made every
	close it was going to make at once: it waits for the 226. Its end of the control connection,
	asked of the kernel after the threads (sock_diag), says whether one of those closes was the
	control connection's, even before the FIN has reached this end.

	"Every thread sleeps" must hold at one instant: threads read one after the other are no
	snapshot. Two threads that hand the CPU to each other (a thread waiting for a helper, a lock
	passed on, a GC's workers) are each seen sleeping when read alone, while one of them always
	runs. So the threads are read twice, with the client's end of the connection asked in
	between: the first time each thread's time on a CPU and count of runs (schedstat), the
	second time its state, then those figures again. A thread seen sleeping the second time,
	with the same time and count, neither got a CPU nor left one in between (a sleep's state is
	set on the CPU, before the thread leaves it; a thread woken must get a CPU to sleep again),
	so it slept from its first read to its second; every first read comes before every second
	one, so all of them slept at once, when the connection was asked. (The leader's state is
	read the first time too: the thread most often still running, it ends the look early.) Not seen: a thread that stays on its CPU from one read to the other
	and is caught both times between setting its sleep's state and leaving the CPU, with no
	scheduler tick in between (its time moves at each tick).

	The process is found once per connection, as its first upload starts (tcppeer's prepare:
	a client killed in that upload has no fds left to find by its commit), else at its first
	look: sock_diag gives the client
	socket's inode from the connection's exact 4-tuple (no answer: the client is not in this
	network namespace, e.g. remote), then the newest processes first are searched for one
	holding `socket:[inode]`. A socket held by more than one process (a fork sharing it: the
	other holder's closes would count too) is treated as unknown; only the holder's parent and
	descendants are searched for another holder (a socket passed to an unrelated process over
	a Unix socket is not seen).
*/
#ifndef _GNU_SOURCE
	#define _GNU_SOURCE		// getdents64
#endif

#include "tcp_peer_process.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

// task flags (include/linux/sched.h), stable for many kernel versions: the death of a thread
#define kPFExiting		(0x00000004)		// in do_exit: set before the thread's files are closed
#define kPFPostCoreDump	(0x00000008)		// Linux 5.16 on; before it, PF_EXITPIDONE, also in do_exit
#define kPFDumpCore		(0x00000200)
#define kPFSignaled		(0x00000400)		// killed by a signal: set as the fatal signal is taken, before anything sleeps
#define kPFDying		(kPFExiting | kPFPostCoreDump | kPFDumpCore | kPFSignaled)

// The search for the process stops after this long: it blocks the loop, and it is done once
// per connection (the connection then keeps the grace alone)
#define kTCPPeerProcessFindBudget (5000)		// µs
#define kTCPPeerProcessFamilyMax (64)		// processes searched for another holder of the socket

static int gTCPPeerDiag = -1;
static uint32_t gTCPPeerDiagSequence = 0;

static int64_t tcpPeerProcessNow(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((int64_t)now.tv_sec * 1000000) + (now.tv_nsec / 1000);
}

// sock_diag's view of the client's end of the connection (`local`, `remote`: ours), found by
// its exact 4-tuple: 0 and its TCP state, inode and owner; ENOENT when there is no such socket
// in this network namespace; -1 when the kernel could not be asked.
static int tcpPeerProcessDiag(const struct sockaddr_in *local, const struct sockaddr_in *remote, uint8_t *state, uint32_t *inode, uint32_t *uid)
{
	struct {
		struct nlmsghdr			header;
		struct inet_diag_req_v2	request;
	} message;
	union {
		struct nlmsghdr	header;
		uint8_t			bytes[1024];
	} reply;
	uint32_t sequence;

	if (gTCPPeerDiag < 0) {
		gTCPPeerDiag = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_SOCK_DIAG);
		if (gTCPPeerDiag < 0)
			return -1;
	}
	memset(&message, 0, sizeof(message));
	message.header.nlmsg_len = sizeof(message);
	message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	message.header.nlmsg_flags = NLM_F_REQUEST;		// one socket, by its 4-tuple: no dump
	message.header.nlmsg_seq = sequence = ++gTCPPeerDiagSequence;
	message.request.sdiag_family = AF_INET;
	message.request.sdiag_protocol = IPPROTO_TCP;
	message.request.idiag_states = ~0U;
	// the client's socket: its source is our peer
	message.request.id.idiag_sport = remote->sin_port;
	message.request.id.idiag_dport = local->sin_port;
	message.request.id.idiag_src[0] = remote->sin_addr.s_addr;
	message.request.id.idiag_dst[0] = local->sin_addr.s_addr;
	message.request.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	message.request.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (send(gTCPPeerDiag, &message, sizeof(message), 0) != (ssize_t)sizeof(message))
		return -1;
	// the kernel answers within send(); a reply of an earlier request that was not read is skipped
	for (;;) {
		ssize_t count = recv(gTCPPeerDiag, &reply, sizeof(reply), 0);
		if (count < (ssize_t)sizeof(struct nlmsghdr))
			return -1;
		if (!NLMSG_OK(&reply.header, (size_t)count) || (reply.header.nlmsg_seq != sequence))
			continue;
		if (NLMSG_ERROR == reply.header.nlmsg_type) {
			const struct nlmsgerr *error = NLMSG_DATA(&reply.header);
			if (reply.header.nlmsg_len < NLMSG_LENGTH(sizeof(*error)))
				return -1;
			return (-ENOENT == error->error) ? ENOENT : -1;
		}
		if ((SOCK_DIAG_BY_FAMILY == reply.header.nlmsg_type) && (reply.header.nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg)))) {
			const struct inet_diag_msg *found = NLMSG_DATA(&reply.header);
			// a listener on the client's port would answer a lookup that finds no connection
			if ((found->id.idiag_sport != remote->sin_port) || (found->id.idiag_dport != local->sin_port))
				return ENOENT;
			*state = found->idiag_state;
			*inode = found->idiag_inode;
			*uid = found->idiag_uid;
			return 0;
		}
		return -1;
	}
}

// Fields of a /proc stat line (proc_pid_stat(5)): 1 when read.
struct TCPPeerStatRecord {
	char			state;		// 3
	int32_t			parent;		// 4
	uint32_t		flags;		// 9
	uint32_t		threads;	// 20
	uint64_t		start;		// 22
};
typedef struct TCPPeerStatRecord TCPPeerStatRecord;

// Reads a stat line from `fd` (pread: an fd kept open is read again from its start).
static int tcpPeerProcessRead(int fd, TCPPeerStatRecord *stat)
{
	char line[1024], *p;
	ssize_t count = pread(fd, line, sizeof(line) - 1, 0);
	int field;

	if (count <= 0)
		return 0;		// ESRCH: the task is gone
	line[count] = 0;
	// the command name (field 2) may hold spaces and parentheses: the fields start after its last ')'
	p = strrchr(line, ')');
	if (!p || (' ' != p[1]) || !p[2])
		return 0;
	p += 2;
	stat->state = *p;
	for (field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return 0;
		p += 1;
		if (4 == field + 1)
			stat->parent = (int32_t)strtol(p, NULL, 10);
		else if (9 == field + 1)
			stat->flags = (uint32_t)strtoul(p, NULL, 10);
		else if (20 == field + 1)
			stat->threads = (uint32_t)strtoul(p, NULL, 10);
	}
	stat->start = strtoull(p, NULL, 10);
	return 1;
}

static int tcpPeerProcessStat(int dir, const char *path, TCPPeerStatRecord *stat)
{
	int fd = openat(dir, path, O_RDONLY | O_CLOEXEC), result;

	if (fd < 0)
		return 0;
	result = tcpPeerProcessRead(fd, stat);
	close(fd);
	return result;
}

// A task's schedstat line (the scheduler's sched_info): its time on a CPU (ns) and how many
// times it was given one. The time moves whenever the task leaves a CPU, the count whenever it
// gets one: a task seen sleeping, whose state was set to sleep on its CPU and then woken before
// it left it, that runs on and sleeps again, leaves its count as it was, not its time.
struct TCPPeerRunsRecord {
	uint64_t		time;
	uint64_t		count;
};
typedef struct TCPPeerRunsRecord TCPPeerRunsRecord;

// 1 when read
static int tcpPeerProcessRuns(int fd, TCPPeerRunsRecord *runs)
{
	char line[96], *p;
	ssize_t count = pread(fd, line, sizeof(line) - 1, 0);

	if (count <= 0)
		return 0;		// ESRCH: the task is gone
	line[count] = 0;
	runs->time = strtoull(line, &p, 10);
	p = strchr(p + 1, ' ');
	if (!p)
		return 0;
	runs->count = strtoull(p + 1, NULL, 10);
	return 1;
}

static int tcpPeerProcessRan(const TCPPeerRunsRecord *before, const TCPPeerRunsRecord *after)
{
	return (before->time != after->time) || (before->count != after->count);
}

// What one thread's stat says of the process: the death of a thread is the process's (its
// fatal signal is every thread's), as a zombie (a thread group's leader waits for the others);
// only S is a sleep that no close of ours can be in the middle of (D may be a close waiting
// for its socket's lock; T and t a stop between two closes).
static uint8_t tcpPeerProcessThread(const TCPPeerStatRecord *stat)
{
	if ((stat->flags & kPFDying) || ('Z' == stat->state) || ('X' == stat->state) || ('x' == stat->state))
		return kTCPPeerProcessExiting;
	return ('S' == stat->state) ? kTCPPeerProcessSleeping : kTCPPeerProcessRunning;
}

// threads other than the leader whose stat and schedstat are kept open, per client process; a
// process with more is not looked at (the grace decides)
#define kTCPPeerProcessKept (16)
// client processes looked at at once (their connections share what is kept open on them)
#define kTCPPeerProcessClients (8)

// What is kept open on a client process, while a connection of it is open: its leader's stat
// and schedstat, its task folder, and its other threads' stat and schedstat. Kept open and read
// again (pread), they stay the process's even if its pid is reused once it is gone.
struct TCPPeerClientRecord {
	int32_t			pid;
	uint64_t		start;			// the process's start time (clock ticks since boot)
	uint32_t		uses;			// connections using it; 0: free
	int				stat;			// /proc/PID/stat
	int				schedstat;		// /proc/PID/schedstat: the leader's
	int				task;			// /proc/PID/task
	int				kept;			// entries of threads
	struct {
		int32_t		tid;
		int			fd;				// /proc/PID/task/TID/stat
		int			schedstat;		// /proc/PID/task/TID/schedstat
		TCPPeerRunsRecord	runs;	// as the current look first read it
		uint8_t		seen;			// listed by the current look
	} threads[kTCPPeerProcessKept];
};
typedef struct TCPPeerClientRecord TCPPeerClientRecord;
typedef struct TCPPeerClientRecord *TCPPeerClient;

static TCPPeerClientRecord gTCPPeerClients[kTCPPeerProcessClients];

static void tcpPeerProcessDrop(TCPPeerClient client, int index)
{
	close(client->threads[index].fd);
	close(client->threads[index].schedstat);
	client->threads[index] = client->threads[--client->kept];
}

// The entry of thread `tid`, its stat and schedstat opened and kept at its first look; -1 when
// they cannot be opened (the thread is gone) or kept (too many threads).
static int tcpPeerProcessThreadEntry(TCPPeerClient client, int32_t tid)
{
	char path[32];
	int index, fd, schedstat;

	for (index = 0; index < client->kept; index++) {
		if (client->threads[index].tid == tid)
			return index;
	}
	if (client->kept == kTCPPeerProcessKept)
		return -1;
	snprintf(path, sizeof(path), "%d/stat", (int)tid);
	fd = openat(client->task, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	snprintf(path, sizeof(path), "%d/schedstat", (int)tid);
	schedstat = openat(client->task, path, O_RDONLY | O_CLOEXEC);
	if (schedstat < 0) {
		close(fd);
		return -1;
	}
	index = client->kept++;
	client->threads[index].tid = tid;
	client->threads[index].fd = fd;
	client->threads[index].schedstat = schedstat;
	client->threads[index].seen = 0;
	return index;
}

// The first read of every thread other than the leader (already read): its schedstat (its
// state is read at the second: see tcpPeerProcessStill). `listed`: how many were read. Once
// every thread was listed, the entries of threads that are gone are dropped. A kept fd whose
// thread is gone (its tid reused by a new thread) reads nothing: the thread counts as running
// (it ran, to exit, and may have been the one to close), and its entry is dropped.
static uint8_t tcpPeerProcessThreads(TCPPeerClient client, uint32_t *listed)
{
	union {
		struct dirent64	entry;
		uint8_t			bytes[4096];
	} entries;
	uint8_t result = kTCPPeerProcessSleeping;
	int index;

	*listed = 0;
	for (index = 0; index < client->kept; index++)
		client->threads[index].seen = 0;
	if (lseek(client->task, 0, SEEK_SET) < 0)
		return kTCPPeerProcessUnknown;
	while (kTCPPeerProcessSleeping == result) {
		ssize_t count = getdents64(client->task, &entries, sizeof(entries)), offset;
		if (count <= 0) {
			if (count < 0)
				result = (ENOENT == errno) ? kTCPPeerProcessExiting : kTCPPeerProcessUnknown;
			else {
				for (index = 0; index < client->kept; ) {
					if (client->threads[index].seen)
						index++;
					else
						tcpPeerProcessDrop(client, index);
				}
			}
			break;
		}
		for (offset = 0; (offset < count) && (kTCPPeerProcessSleeping == result); ) {
			const struct dirent64 *entry = (const struct dirent64 *)(entries.bytes + offset);
			int32_t tid;
			offset += entry->d_reclen;
			if ((entry->d_name[0] < '1') || (entry->d_name[0] > '9'))
				continue;
			tid = (int32_t)atoi(entry->d_name);
			if (tid == client->pid)
				continue;
			index = tcpPeerProcessThreadEntry(client, tid);
			if (index < 0) {
				result = (client->kept == kTCPPeerProcessKept) ? kTCPPeerProcessUnknown : kTCPPeerProcessRunning;
				break;
			}
			client->threads[index].seen = 1;
			*listed += 1;
			if (!tcpPeerProcessRuns(client->threads[index].schedstat, &client->threads[index].runs)) {
				tcpPeerProcessDrop(client, index);
				result = kTCPPeerProcessRunning;
			}
		}
	}
	return result;
}

// The second read of the threads the first one listed: each one's state, then its schedstat.
// Sleeping when every one sleeps and neither got nor left a CPU since its first read: then it
// slept all along since its first read (to sleep again after a run, a thread leaves its CPU).
static uint8_t tcpPeerProcessStill(TCPPeerClient client)
{
	int index;

	for (index = 0; index < client->kept; index++) {
		TCPPeerStatRecord stat = {0};
		TCPPeerRunsRecord runs;
		uint8_t result;
		if (!client->threads[index].seen)
			continue;
		if (!tcpPeerProcessRead(client->threads[index].fd, &stat) || !tcpPeerProcessRuns(client->threads[index].schedstat, &runs))
			return kTCPPeerProcessRunning;
		result = tcpPeerProcessThread(&stat);
		if (kTCPPeerProcessSleeping != result)
			return result;
		if (tcpPeerProcessRan(&client->threads[index].runs, &runs))
			return kTCPPeerProcessRunning;
	}
	return kTCPPeerProcessSleeping;
}

// Whether process `pid` (a name under /proc) has `link` ("socket:[inode]") among its fds.
static int tcpPeerProcessHolds(int proc, const char *pid, const char *link, size_t length)
{
	char path[40], target[64];
	union {
		struct dirent64	entry;
		uint8_t			bytes[4096];
	} entries;
	int dir, found = 0;

	snprintf(path, sizeof(path), "%s/fd", pid);
	dir = openat(proc, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return 0;
	while (!found) {
		ssize_t count = getdents64(dir, &entries, sizeof(entries)), offset;
		if (count <= 0)
			break;
		for (offset = 0; (offset < count) && !found; ) {
			const struct dirent64 *entry = (const struct dirent64 *)(entries.bytes + offset);
			offset += entry->d_reclen;
			if ('.' == entry->d_name[0])
				continue;
			// the link's text, not its target: a stat could block on a file's hung mount
			found = (readlinkat(dir, entry->d_name, target, sizeof(target)) == (ssize_t)length) && !memcmp(target, link, length);
		}
	}
	close(dir);
	return found;
}

// Whether a process of `pid`'s family, its parent or one of its descendants (at most
// kTCPPeerProcessFamilyMax), also holds `link`: one that was forked with it.
static int tcpPeerProcessShared(int proc, int32_t pid, int32_t parent, const char *link, size_t length)
{
	int32_t family[kTCPPeerProcessFamilyMax];
	int count = 0, index;
	char name[24];

	if (parent > 1) {
		snprintf(name, sizeof(name), "%d", (int)parent);
		if (tcpPeerProcessHolds(proc, name, link, length))
			return 1;
	}
	family[count++] = pid;
	for (index = 0; index < count; index++) {
		// each thread's children (/proc/PID/task/TID/children)
		char path[48], text[1024], *p;
		union {
			struct dirent64	entry;
			uint8_t			bytes[2048];
		} entries;
		ssize_t got;
		int dir;

		snprintf(path, sizeof(path), "%d/task", (int)family[index]);
		dir = openat(proc, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir < 0)
			continue;
		while ((got = getdents64(dir, &entries, sizeof(entries))) > 0) {
			ssize_t offset;
			for (offset = 0; offset < got; ) {
				const struct dirent64 *entry = (const struct dirent64 *)(entries.bytes + offset);
				int fd;
				ssize_t size;
				offset += entry->d_reclen;
				if ('.' == entry->d_name[0])
					continue;
				snprintf(path, sizeof(path), "%.20s/children", entry->d_name);
				fd = openat(dir, path, O_RDONLY | O_CLOEXEC);
				if (fd < 0)
					continue;
				size = read(fd, text, sizeof(text) - 1);
				close(fd);
				if (size <= 0)
					continue;
				text[size] = 0;
				for (p = text; *p; ) {
					char *end;
					long child = strtol(p, &end, 10);
					if (end == p)
						break;
					p = end;
					if (child <= 0)
						continue;
					snprintf(name, sizeof(name), "%ld", child);
					if (tcpPeerProcessHolds(proc, name, link, length)) {
						close(dir);
						return 1;
					}
					if (count == kTCPPeerProcessFamilyMax) {
						close(dir);
						return 1;		// too many to know: as if shared
					}
					family[count++] = (int32_t)child;
				}
			}
		}
		close(dir);
	}
	return 0;
}

static int tcpPeerProcessDescending(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x < y) ? 1 : (x > y) ? -1 : 0;
}

// The one process holding socket `inode` (owned by `uid`), newest first; -1 when none is found
// within the budget, or more than one holds it.
// The processes found last, newest first: a client most often opens its connections from one
// process (one per session, or its workers'), which is then found without a search of /proc,
// however many processes were started since (other builds, a busy machine).
#define kTCPPeerProcessRecent (4)
static int32_t gTCPPeerRecent[kTCPPeerProcessRecent];

// `pid`, holding the socket: itself when no other process of its family does, else -1.
static int32_t tcpPeerProcessOnly(int proc, int32_t pid, const char *link, size_t length, uint64_t *start)
{
	TCPPeerStatRecord stat = {0};
	char name[24];
	int index;

	snprintf(name, sizeof(name), "%d/stat", (int)pid);
	if (!tcpPeerProcessStat(proc, name, &stat) || tcpPeerProcessShared(proc, pid, stat.parent, link, length))
		return -1;
	*start = stat.start;
	for (index = 0; (index < (kTCPPeerProcessRecent - 1)) && (gTCPPeerRecent[index] != pid); index++)
		;
	for (; index > 0; index--)
		gTCPPeerRecent[index] = gTCPPeerRecent[index - 1];
	gTCPPeerRecent[0] = pid;
	return pid;
}

static int32_t tcpPeerProcessHolder(uint32_t inode, uint32_t uid, uint64_t *start)
{
	union {
		struct dirent64	entry;
		uint8_t			bytes[8192];
	} entries;
	char link[32], name[16];
	size_t length;
	int32_t *pids = NULL, self = getpid(), found = -1;
	int count = 0, room = 0, index, proc;
	int64_t began = tcpPeerProcessNow();
	ssize_t got;

	proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc < 0)
		return -1;
	length = (size_t)snprintf(link, sizeof(link), "socket:[%u]", inode);
	for (index = 0; index < kTCPPeerProcessRecent; index++) {
		if (gTCPPeerRecent[index] <= 0)
			continue;
		snprintf(name, sizeof(name), "%d", (int)gTCPPeerRecent[index]);
		if (tcpPeerProcessHolds(proc, name, link, length)) {
			found = tcpPeerProcessOnly(proc, gTCPPeerRecent[index], link, length, start);
			goto bail;
		}
	}
	while ((got = getdents64(proc, &entries, sizeof(entries))) > 0) {
		ssize_t offset;
		for (offset = 0; offset < got; ) {
			const struct dirent64 *entry = (const struct dirent64 *)(entries.bytes + offset);
			offset += entry->d_reclen;
			if ((entry->d_name[0] < '1') || (entry->d_name[0] > '9'))
				continue;
			if (count == room) {
				int32_t *more = realloc(pids, sizeof(int32_t) * (room = room ? room * 2 : 256));
				if (!more)
					goto bail;
				pids = more;
			}
			pids[count++] = (int32_t)atoi(entry->d_name);
		}
	}
	// a client is most often started after the server: the newest pids first (until they wrap)
	qsort(pids, count, sizeof(int32_t), tcpPeerProcessDescending);
	for (index = 0; index < count; index++) {
		struct stat status;
		if (pids[index] == self)
			continue;
		if (!(index & 15) && ((tcpPeerProcessNow() - began) > kTCPPeerProcessFindBudget))
			break;
		snprintf(name, sizeof(name), "%d", (int)pids[index]);
		// another user's process cannot hold it (the socket's owner is its creator's)
		if ((fstatat(proc, name, &status, 0) < 0) || (status.st_uid != uid))
			continue;
		if (tcpPeerProcessHolds(proc, name, link, length)) {
			found = tcpPeerProcessOnly(proc, pids[index], link, length, start);
			break;
		}
	}
bail:
	free(pids);
	close(proc);
	return found;
}

static void tcpPeerClientClose(TCPPeerClient client)
{
	while (client->kept)
		tcpPeerProcessDrop(client, client->kept - 1);
	if (client->stat >= 0)
		close(client->stat);
	if (client->schedstat >= 0)
		close(client->schedstat);
	if (client->task >= 0)
		close(client->task);
	client->pid = 0;
	client->uses = 0;
}

// The record of process `pid` started at `start`: the one its other connections use, else a
// free one, opened. NULL when none is free, or the process cannot be read (gone, or a kernel
// without sched_info, CONFIG_SCHED_INFO: no count of runs, so no snapshot).
static TCPPeerClient tcpPeerClientUse(int32_t pid, uint64_t start)
{
	TCPPeerClient client = NULL;
	TCPPeerStatRecord stat = {0};
	TCPPeerRunsRecord runs = {0};
	char path[32];
	int index;

	for (index = 0; index < kTCPPeerProcessClients; index++) {
		TCPPeerClient record = &gTCPPeerClients[index];
		if (record->uses && (record->pid == pid) && (record->start == start)) {
			record->uses += 1;
			return record;
		}
		if (!record->uses && !client)
			client = record;
	}
	if (!client)
		return NULL;
	client->pid = pid;
	client->start = start;
	client->uses = 1;
	client->kept = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	client->stat = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	client->task = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	client->schedstat = open(path, O_RDONLY | O_CLOEXEC);
	// the leader has run (it holds the socket): a count of 0 is a kernel that keeps none
	if ((client->stat < 0) || (client->task < 0) || (client->schedstat < 0) || !tcpPeerProcessRead(client->stat, &stat) || (stat.start != start)
			|| !tcpPeerProcessRuns(client->schedstat, &runs) || !runs.count) {
		tcpPeerClientClose(client);
		return NULL;
	}
	return client;
}

void tcpPeerProcessFind(TCPPeerProcess process, const struct sockaddr_in *local, const struct sockaddr_in *remote)
{
	uint8_t state;
	uint32_t inode, uid;
	uint64_t start;
	int32_t pid;

	process->pid = -1;
	if ((AF_INET != local->sin_family) || (AF_INET != remote->sin_family))
		return;
	// none: not in this network namespace (a remote client), or the kernel could not tell;
	// not established: closed already (and then no process to find)
	if ((0 != tcpPeerProcessDiag(local, remote, &state, &inode, &uid)) || (TCP_ESTABLISHED != state) || !inode)
		return;
	pid = tcpPeerProcessHolder(inode, uid, &start);
	if (pid <= 0)
		return;
	process->client = tcpPeerClientUse(pid, start);
	if (process->client) {
		process->inode = inode;
		process->pid = pid;
	}
}

void tcpPeerProcessForget(TCPPeerProcess process)
{
	if ((process->pid > 0) && process->client && !--process->client->uses)
		tcpPeerClientClose(process->client);
	process->client = NULL;
	process->pid = -1;
}

uint8_t tcpPeerProcessLook(TCPPeerProcess process, const struct sockaddr_in *local, const struct sockaddr_in *remote)
{
	TCPPeerStatRecord stat = {0};
	TCPPeerClient client;
	uint8_t state, result;
	uint32_t inode, uid, threads, listed = 0;
	TCPPeerRunsRecord runs, later;
	int status;

	if (0 == process->pid)
		tcpPeerProcessFind(process, local, remote);
	if (process->pid < 0)
		return kTCPPeerProcessUnknown;
	client = process->client;

	// the threads, then the socket, then the threads again (see above): a sleep common to every
	// thread, the socket asked within it, covers every close made before it
	if (!tcpPeerProcessRuns(client->schedstat, &runs) || !tcpPeerProcessRead(client->stat, &stat) || (stat.start != client->start))
		return kTCPPeerProcessExiting;		// gone
	threads = stat.threads;
	result = tcpPeerProcessThread(&stat);
	if ((kTCPPeerProcessSleeping == result) && (threads > 1))
		result = tcpPeerProcessThreads(client, &listed);
	if (kTCPPeerProcessSleeping != result)
		return result;
	// a thread started or ended between the leader's read and the listing: one of them ran
	if (threads != (listed + 1))
		return kTCPPeerProcessRunning;

	status = tcpPeerProcessDiag(local, remote, &state, &inode, &uid);
	if (ENOENT == status)
		return kTCPPeerProcessClosed;
	if (0 != status)
		return kTCPPeerProcessUnknown;
	if ((TCP_ESTABLISHED != state) || (inode != process->inode))
		return kTCPPeerProcessClosed;

	result = (threads > 1) ? tcpPeerProcessStill(client) : kTCPPeerProcessSleeping;
	if (kTCPPeerProcessSleeping != result)
		return result;
	if (!tcpPeerProcessRead(client->stat, &stat) || (stat.start != client->start) || !tcpPeerProcessRuns(client->schedstat, &later))
		return kTCPPeerProcessExiting;		// gone
	result = tcpPeerProcessThread(&stat);
	if (kTCPPeerProcessSleeping != result)
		return result;
	return (tcpPeerProcessRan(&runs, &later) || (stat.threads != threads)) ? kTCPPeerProcessRunning : kTCPPeerProcessSleeping;
}

uint8_t tcpPeerProcessOversubscribed(void)
{
	static int loadavg = -2;		// kept open, read again with pread; -1: unreadable
	static long cpus = 0;
	char text[128], *p;
	ssize_t count;

	if (-2 == loadavg) {
		loadavg = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
	}
	if ((loadavg < 0) || (cpus < 1))
		return 0;
	count = pread(loadavg, text, sizeof(text) - 1, 0);
	if (count <= 0)
		return 0;
	text[count] = 0;
	// "0.52 0.58 0.59 3/467 12345": the fourth field counts the runnable tasks, this one included
	p = strchr(text, '/');
	while (p && (p > text) && (p[-1] >= '0') && (p[-1] <= '9'))
		p--;
	return (p && (strtol(p, NULL, 10) > cpus)) ? 1 : 0;
}
