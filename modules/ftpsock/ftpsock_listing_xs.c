/*
 * ftpsock.js's Listing: STAT's listing (ftpsock_listing.h), read a buffer at a time onto the
 * control connection. The data connection's listings use the C face from the backends.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "../volume/volume.h"
#include "ftpsock_listing.h"

void xs_ftpsock_listing_destructor(void *data)
{
	ftpListingClose(data);
}

static const xsHostHooks xsFtpSockListingHooks = {
	xs_ftpsock_listing_destructor,
	NULL,
	NULL
};

// (path, format, writable (0 or 1), now): opens the folder; a failure throws an Error whose message is its code.
void xs_ftpsock_listing(xsMachine *the)
{
	int32_t error = 0;
	FtpListing listing = ftpListingOpen(xsmcToString(xsArg(0)), (uint8_t)xsmcToInteger(xsArg(1)), (uint8_t)xsmcToInteger(xsArg(2)), (int64_t)xsmcToNumber(xsArg(3)), &error);

	if (!listing)
		xsUnknownError("%s", volumeErrorName(error));
	xsmcSetHostData(xsThis, listing);
	xsSetHostHooks(xsThis, (xsHostHooks *)&xsFtpSockListingHooks);
}

// (buffer): fills an ArrayBuffer (or view) with the next lines; returns the bytes, 0 at the end.
void xs_ftpsock_listing_read(xsMachine *the)
{
	FtpListing listing = xsmcGetHostDataValidate(xsThis, (void *)&xsFtpSockListingHooks);
	void *data;
	xsUnsignedValue size;
	int32_t result;

	if (!listing) {
		xsmcSetInteger(xsResult, 0);
		return;
	}
	xsmcGetBufferWritable(xsArg(0), &data, &size);
	result = ftpListingRead(listing, data, (uint32_t)size);
	if (result < 0)
		xsUnknownError("%s", volumeErrorName(result));
	xsmcSetInteger(xsResult, result);
}

void xs_ftpsock_listing_close(xsMachine *the)
{
	FtpListing listing = xsmcGetHostDataValidate(xsThis, (void *)&xsFtpSockListingHooks);

	ftpListingClose(listing);
	xsmcSetHostData(xsThis, NULL);
}
