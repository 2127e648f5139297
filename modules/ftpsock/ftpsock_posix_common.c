/*
 * What both halves of the POSIX backend need: errno turned into the codes of ftpsock.d.ts. The
 * FTP layer only tells "the peer went away" (ECONNRESET: 426), "too slow" (ETIMEDOUT) and "could
 * not connect" (EREFUSED: 425) apart; whatever else keeps its errno name for the log.
 */
#define _GNU_SOURCE		// strerrorname_np (glibc 2.32)
#include <errno.h>
#include <string.h>

#include "ftpsock_posix.h"

const char *ftpsockErrorName(int error)
{
	const char *name;

	switch (error) {
		case ECONNRESET:
		case EPIPE:			// writing after the peer's RST: the same event, seen by the sender
		case ECONNABORTED:
		case ENOTCONN:
			return "ECONNRESET";
		case ECONNREFUSED:
			return "EREFUSED";
		case ETIMEDOUT:
			return "ETIMEDOUT";
	}
	name = strerrorname_np(error);
	return name ? name : "EIO";
}
