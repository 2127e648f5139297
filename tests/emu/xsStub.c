/*
 * The XS machine functions volume.c's mount and unmount reach only to throw (xsNew1, xsThrow
 * of an Error): the volume suite calls them without a machine, so reaching one of these means
 * the volume threw, and fails the run.
 */
#include "emu.h"

static void thrown(const char *name)
{
	emuPrint("not ok - the volume threw (%s reached without an XS machine)\n", name);
	emuExit(1);
}

void fxOverflow(void) { thrown("fxOverflow"); }
void fxPush(void) { thrown("fxPush"); }
void fxNew(void) { thrown("fxNew"); }
void fxNewID(void) { thrown("fxNewID"); }
void fxRunCount(void) { thrown("fxRunCount"); }
void fxPop(void) { thrown("fxPop"); }
void fxThrow(void) { thrown("fxThrow"); }
void fxString(void) { thrown("fxString"); }
void fxGetID(void) { thrown("fxGetID"); }
void fxCallID(void) { thrown("fxCallID"); }
void fxNewHostObject(void) { thrown("fxNewHostObject"); }
