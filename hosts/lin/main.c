/*
 * Headless Linux host: runs the same XS image as the devices, on a GLib main loop.
 *
 * The app's `main` module is imported once; when its default export is a function it is
 * called with no arguments, as on the devices. The JS side reaches the process through
 * the `host` module (arguments, environment, signals, exit).
 */

#include "xsAll.h"
#include "mc.xs.h"

#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <unistd.h>

#ifdef mxInstrument
	#include "modInstrumentation.h"
#endif

static int gQuit;
static int gExitCode;
static int gExitRequested;
static int gArgc;
static char **gArgv;
static xsMachine *gMachine;
static xsSlot gSignalCallback;
static int gHasSignalCallback;
static int gStopping;

// A stop (SIGINT, SIGTERM) is the app's to do: the sessions get 421 and the volume is closed,
// which takes about 100 ms. These bound it whatever happens in JS (an exception, a callback that
// never comes): after kStopGraceMS the loop is left; after kStopHardMS, should the loop itself be
// stuck, the process ends from the signal handler. Both exit with status 1: a clean stop is 0.
#define kStopGraceMS (1000)
#define kStopHardMS (1500)

static void quitLoop(void)
{
	gQuit = 1;
	g_main_context_wakeup(NULL);
}

/*
 * Promise jobs. The SDK's Linux platform (lin_xs.c) queues each turn of them as a GLib idle
 * source of its own, which a later iteration of the loop dispatches: a poll and a pass over
 * every source per turn, and a command turns the session's loop once or twice. Here they run
 * right after the iteration whose callbacks queued them, as a device runs them after the
 * message that queued them, and the idle sources made for them are dropped unrun. A turn's
 * jobs may queue more: they run too, before the loop polls again.
 */
static void runPromiseJobs(xsMachine *the)
{
	GSource *source;

	if (!mxPendingJobs.value.reference->next)
		return;
	do
		fxRunPromiseJobs(the);
	while (mxPendingJobs.value.reference->next);
	while ((source = g_main_context_find_source_by_funcs_user_data(NULL, &g_idle_funcs, the)))
		g_source_destroy(source);
}

void fxAbort(xsMachine *the, int status)
{
	const char *why = fxAbortString(status);

	// A device resets on these; a host that keeps serving the other sessions is more useful,
	// and the report on stderr lets tests notice.
	if ((XS_UNHANDLED_EXCEPTION_EXIT == status) || (XS_UNHANDLED_REJECTION_EXIT == status)) {
		fprintf(stderr, "ftpd: error: %s\n", why);
		return;
	}
	fprintf(stderr, "ftpd: fatal: %s\n", why);
	fflush(stdout);
	exit(2);
}

void xs_host_args(xsMachine *the)
{
	int i;
	xsResult = xsNewArray(0);
	for (i = 1; i < gArgc; i++)
		xsCall1(xsResult, xsID_push, xsString(gArgv[i]));
}

void xs_host_getenv(xsMachine *the)
{
	char name[128];
	const char *value;
	xsToStringBuffer(xsArg(0), name, sizeof(name));
	value = getenv(name);
	if (value)
		xsResult = xsString(value);
}

// trace() adds nothing and goes to xsbug when one is connected: the ready line and the
// usage text must reach stdout and stderr whatever the build.
void xs_host_print(xsMachine *the)
{
	fputs(xsToString(xsArg(0)), stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

void xs_host_error(xsMachine *the)
{
	fputs(xsToString(xsArg(0)), stderr);
	fputc('\n', stderr);
	fflush(stderr);
}

void xs_host_exit(xsMachine *the)
{
	gExitCode = (xsToInteger(xsArgc) > 0) ? xsToInteger(xsArg(0)) : 0;
	gExitRequested = 1;
	quitLoop();
}

// Debug builds: whether xsbug is connected, so the log can go to it through trace().
void xs_host_debugger(xsMachine *the)
{
#ifdef mxDebug
	xsResult = xsBoolean(fxIsConnected(the));
#else
	xsResult = xsFalse;
#endif
}

// A start that fails after its image was made (the port is taken) removes that image again:
// these tell whether it was there before, and remove it.
void xs_host_exists(xsMachine *the)
{
	struct stat status;
	xsResult = xsBoolean(0 == stat(xsToString(xsArg(0)), &status));
}

void xs_host_remove(xsMachine *the)
{
	if (unlink(xsToString(xsArg(0))))
		xsUnknownError("%s", strerror(errno));
}

// (count): an ArrayBuffer of `count` random bytes from the kernel (the generated password of
// the secure default; XS's Math.random is an unseeded rand() on this platform).
void xs_host_random_bytes(xsMachine *the)
{
	int count = xsToInteger(xsArg(0));
	int done = 0;

	if ((count < 0) || (count > 256))
		xsRangeError("0 to 256 bytes");
	xsResult = xsArrayBuffer(NULL, count);
	while (done < count) {
		ssize_t got = getrandom((char *)xsToArrayBuffer(xsResult) + done, count - done, 0);
		if (got < 0)
			xsUnknownError("getrandom failed");
		done += (int)got;
	}
}

#ifdef mxInstrument
// The XS figures of the Instrumentation module. The device hosts register these getters
// (xs/platforms/mc/xsHosts.c); the SDK's x-cli-lin platform does not, so without them every
// XS figure reads 0 here.
static int32_t slotHeapUsed(void *the)
{
	return (int32_t)(((txMachine *)the)->currentHeapCount * sizeof(txSlot));
}

static int32_t chunkHeapUsed(void *the)
{
	return (int32_t)((txMachine *)the)->currentChunksSize;
}

static int32_t keysUsed(void *the)
{
	txMachine *machine = the;
	return (int32_t)(machine->keyIndex - machine->keyOffset - machine->keyholeCount);
}

static int32_t garbageCollections(void *the)
{
	return ((txMachine *)the)->garbageCollectionCount;
}

static int32_t modulesLoaded(void *the)
{
	return ((txMachine *)the)->loadedModulesCount;
}

static int32_t stackUsed(void *the)
{
	txMachine *machine = the;
	if (machine->stackPeak > machine->stack)
		machine->stackPeak = machine->stack;
	return (int32_t)((machine->stackTop - machine->stackPeak) * sizeof(txSlot));
}

static void registerInstrumentation(void)
{
	modInstrumentationSetCallback(SlotHeapSize, slotHeapUsed);
	modInstrumentationSetCallback(ChunkHeapSize, chunkHeapUsed);
	modInstrumentationSetCallback(KeysUsed, keysUsed);
	modInstrumentationSetCallback(GarbageCollectionCount, garbageCollections);
	modInstrumentationSetCallback(ModulesLoaded, modulesLoaded);
	modInstrumentationSetCallback(StackRemain, stackUsed);
}
#endif

void xs_host_on_signal(xsMachine *the)
{
	gSignalCallback = xsArg(0);
	if (!gHasSignalCallback) {
		xsRemember(gSignalCallback);
		gHasSignalCallback = 1;
	}
}

static void stopNow(const char *why)
{
	fprintf(stderr, "ftpd: error: %s, exiting\n", why);
	if (!gExitRequested) {
		gExitCode = 1;
		gExitRequested = 1;
	}
	quitLoop();
}

static gboolean onStopOverdue(gpointer data)
{
	stopNow("the stop did not finish in time");
	return G_SOURCE_REMOVE;
}

static void onStopStuck(int number)
{
	static const char message[] = "ftpd: error: the stop is stuck, exiting\n";
	ssize_t written = write(STDERR_FILENO, message, sizeof(message) - 1);
	(void)written;
	_exit(1);
}

static void armStopDeadlines(void)
{
	struct sigaction action;
	struct itimerval hard;

	g_timeout_add(kStopGraceMS, onStopOverdue, NULL);

	memset(&action, 0, sizeof(action));
	action.sa_handler = onStopStuck;
	sigaction(SIGALRM, &action, NULL);
	memset(&hard, 0, sizeof(hard));
	hard.it_value.tv_sec = kStopHardMS / 1000;
	hard.it_value.tv_usec = (kStopHardMS % 1000) * 1000;
	setitimer(ITIMER_REAL, &hard, NULL);
}

static gboolean onSignal(gpointer data)
{
	xsMachine *the = gMachine;
	int number = GPOINTER_TO_INT(data);

	if (!gHasSignalCallback) {
		quitLoop();
		return G_SOURCE_CONTINUE;
	}
	if (gStopping) {
		// asked again while stopping: the user does not want to wait
		stopNow((SIGINT == number) ? "SIGINT while stopping" : "SIGTERM while stopping");
		return G_SOURCE_CONTINUE;
	}
	gStopping = 1;
	armStopDeadlines();
	xsBeginHost(the);
	{
		xsCallFunction1(gSignalCallback, xsUndefined, xsString((SIGINT == number) ? "SIGINT" : "SIGTERM"));
	}
	xsEndHost(the);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	xsMachine *the;

	gArgc = argc;
	gArgv = argv;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	g_unix_signal_add(SIGTERM, onSignal, GINT_TO_POINTER(SIGTERM));
	g_unix_signal_add(SIGINT, onSignal, GINT_TO_POINTER(SIGINT));

#ifdef mxInstrument
	registerInstrumentation();
#endif
	gMachine = the = fxPrepareMachine(NULL, xsPreparation(), "ftpd", NULL, NULL);
	xsBeginHost(the);
	{
		xsVars(1);
		xsVar(0) = xsAwaitImport("main", XS_IMPORT_DEFAULT);
		if (xsTest(xsVar(0)) && xsIsInstanceOf(xsVar(0), xsFunctionPrototype))
			xsCallFunction0(xsVar(0), xsGlobal);
	}
	xsEndHost(the);

	if (!gExitRequested) {
		runPromiseJobs(the);
		while (!gQuit) {
			g_main_context_iteration(NULL, TRUE);
			runPromiseJobs(the);
		}
	}

	xsDeleteMachine(the);
	return gExitCode;
}
