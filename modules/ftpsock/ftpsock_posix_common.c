/*
 * What both host objects of the POSIX backend need: arguments checked the same way, and
 * errno turned into the codes of ftpsock.d.ts. The FTP layer only tells "the peer went away"
 * (ECONNRESET: 426), "too slow" (ETIMEDOUT) and "could not connect" (EREFUSED: 425) apart;
 * whatever else keeps its errno name for the log.
 */
#define _GNU_SOURCE		// strerrorname_np (glibc 2.32)
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

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

struct in_addr ftpsockParseAddress(xsMachine *the, xsSlot *slot)
{
	struct in_addr address;

	if ((xsStringType != xsmcTypeOf(*slot)) || (1 != inet_pton(AF_INET, xsmcToString(*slot), &address)))
		xsRangeError("invalid IPv4 address");
	return address;
}

int ftpsockParsePort(xsMachine *the, xsSlot *slot)
{
	int port = xsmcToInteger(*slot);

	if ((port < 0) || (port > 65535))
		xsRangeError("invalid port");
	return port;
}
