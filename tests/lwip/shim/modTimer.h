/*
 * Stand-in for the SDK's modules/base/timer/modTimer.h (Linux check only), same declarations.
 * fakexs.c runs the timers on the XS thread, removing a one-shot or removed timer after its
 * callback as the SDK's mc/timer.c does.
 */
#ifndef __FAKE_MODTIMER_H__
#define __FAKE_MODTIMER_H__

typedef struct modTimerRecord modTimerRecord;
typedef struct modTimerRecord *modTimer;

typedef void (*modTimerCallback)(modTimer timer, void *refcon, int refconSize);
modTimer modTimerAdd(int firstInterval, int secondInterval, modTimerCallback cb, void *refcon, int refconSize);
void modTimerReschedule(modTimer timer, int firstInterval, int secondInterval);
void *modTimerGetRefcon(modTimer timer);
void modTimerRemove(modTimer timer);

#endif
