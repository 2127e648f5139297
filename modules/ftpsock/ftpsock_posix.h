/*
 * What the POSIX backend's files share with each other and with the Linux host's own sockets:
 * the mapping of errno values to the codes of the JS contract (ftpsock.d.ts), and fd watches.
 */
#ifndef __FTPSOCK_POSIX_H__
#define __FTPSOCK_POSIX_H__

#include "xsmc.h"

#include <glib-unix.h>

// The contract's code for an errno value: the names the FTP layer maps to replies
// (ECONNRESET, ETIMEDOUT, EREFUSED...), else the errno's own name.
const char *ftpsockErrorName(int error);

// g_unix_fd_add, with the source allowed to recurse: GLib blocks a source that may not while
// dispatching it, removing its fd from the poll set and adding it back afterwards, and each of
// those wakes the loop through its eventfd (a write, a read and an extra poll() per dispatch).
// Nothing here runs a nested main loop, so recursion never happens. Inline: the Linux host's
// own sockets use it too, in builds without ftpsock.
static inline guint ftpsockWatch(gint fd, GIOCondition condition, GUnixFDSourceFunc callback, gpointer data)
{
	GSource *source = g_unix_fd_source_new(fd, condition);
	guint id;

	g_source_set_can_recurse(source, TRUE);
	g_source_set_callback(source, (GSourceFunc)(void (*)(void))callback, data, NULL);
	id = g_source_attach(source, NULL);
	g_source_unref(source);
	return id;
}

#endif
