/*
 * The SDK's timer C API (modTimer.h) for the headless Linux host, on the GLib main loop. The
 * SDK's `timer` module (modTimer.c, timer.js) runs unchanged on top of it.
 *
 * Why not the SDK's Linux timer: it numbers timers with a 16-bit counter and takes a timer
 * numbered 0 for a removed one, so every 65,536th timer never fired. A host that serves for
 * weeks sets millions (the 0 ms turn before an upload's commit is one): the upload whose turn
 * was lost never ended and held the data channel for good. Here a timer is its own GSource,
 * found by its pointer: no number to wrap, nothing to look up.
 *
 * It behaves as the devices' timer does (modules/base/timer/mc/timer.c):
 * - a one-shot timer is removed once its callback returns, unless the callback removed it or
 *   unscheduled it (then it stays until removed, and may be rescheduled);
 * - a repeating timer fires every `interval` ms counted from its first deadline (no drift);
 *   beats missed while the loop was busy are skipped, not fired in a burst;
 * - a timer removed by its own callback is freed once the callback returns (GLib holds the
 *   source while it dispatches it).
 * Every timer has the default priority: one that is due fires in the same turn as the sockets
 * that are ready, after them, so a 0 ms timer is "the next turn" and cannot starve I/O (the
 * SDK's Linux timer gave 0 ms timers G_PRIORITY_HIGH).
 */

#include "xsmc.h"
#include "modTimer.h"
#include "modInstrumentation.h"

#include <glib.h>
#include <stddef.h>
#include <string.h>

struct modTimerRecord {
	GSource				source;			// first: the record is the GSource
	gint64				deadline;		// monotonic µs of the next firing
	int					interval;		// ms between firings; 0: one shot; -1: unscheduled
	int					refconSize;
	modTimerCallback	cb;
	max_align_t			refcon[];		// the caller's bytes (the SDK keeps xsSlots there)
};

static gboolean timerDispatch(GSource *source, GSourceFunc unused, gpointer data);

static GSourceFuncs gTimerFuncs = {
	.dispatch = timerDispatch,			// no prepare or check: the source's ready time says when
};

static void timerSchedule(modTimer timer, int firstInterval, int secondInterval)
{
	if (firstInterval < 0)
		firstInterval = 0;
	timer->interval = (secondInterval > 0) ? secondInterval : 0;
	timer->deadline = g_get_monotonic_time() + ((gint64)firstInterval * 1000);
	g_source_set_ready_time(&timer->source, timer->deadline);
}

static gboolean timerDispatch(GSource *source, GSourceFunc unused, gpointer data)
{
	modTimer timer = (modTimer)source;

	// the next deadline first: a reschedule or unschedule by the callback replaces it
	if (timer->interval > 0) {
		gint64 now = g_get_monotonic_time();
		gint64 period = (gint64)timer->interval * 1000;
		timer->deadline += period;
		if (timer->deadline <= now)
			timer->deadline = now + period;
		g_source_set_ready_time(source, timer->deadline);
	}
	else
		g_source_set_ready_time(source, -1);

	(timer->cb)(timer, timer->refcon, timer->refconSize);

	if (!g_source_is_destroyed(source) && (0 == timer->interval))
		modTimerRemove(timer);
	return G_SOURCE_CONTINUE;		// removal is modTimerRemove's, never GLib's
}

modTimer modTimerAdd(int firstInterval, int secondInterval, modTimerCallback cb, void *refcon, int refconSize)
{
	modTimer timer;

	if (refconSize < 0)
		return NULL;
	timer = (modTimer)g_source_new(&gTimerFuncs, (guint)(sizeof(modTimerRecord) + (size_t)refconSize));
	timer->cb = cb;
	timer->refconSize = refconSize;
	if (refconSize)
		memcpy(timer->refcon, refcon, (size_t)refconSize);
	timerSchedule(timer, firstInterval, secondInterval);
	g_source_attach(&timer->source, NULL);
	modInstrumentationAdjust(Timers, +1);
	return timer;
}

void modTimerReschedule(modTimer timer, int firstInterval, int secondInterval)
{
	timerSchedule(timer, firstInterval, secondInterval);
}

void modTimerUnschedule(modTimer timer)
{
	if (!timer)
		return;
	timer->interval = -1;
	g_source_set_ready_time(&timer->source, -1);
}

int modTimerGetSecondInterval(modTimer timer)
{
	return timer->interval;
}

void *modTimerGetRefcon(modTimer timer)
{
	return timer->refcon;
}

// The caller's reference ends here; the memory goes once GLib is done dispatching the timer.
void modTimerRemove(modTimer timer)
{
	if (!timer)
		return;
	timer->interval = -1;
	g_source_destroy(&timer->source);
	g_source_unref(&timer->source);
	modInstrumentationAdjust(Timers, -1);
}

void modTimerDelayMS(uint32_t ms)
{
	g_usleep((gulong)ms * 1000);
}
