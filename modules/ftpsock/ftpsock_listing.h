/*
 * Listings made natively: a folder's entries formatted as LIST (`ls -l`), NLST, MLSD or STAT
 * lines, produced on demand into a caller's buffer, the way a file is read. The data
 * connection sends from it as it sends a file (one JS call per listing, no JS string per
 * entry); modules/listing/format.ts is the reference for every format, and the tests
 * compare the two byte for byte.
 *
 * Call from the thread that runs the XS machine, as the volume.
 */
#ifndef __FTPSOCK_LISTING_H__
#define __FTPSOCK_LISTING_H__

#include <stdint.h>

enum {
	kFtpListingList = 0,	// "-rw-r--r-- 1 ftp ftp       1234 Nov 23 05:17 name"
	kFtpListingNames = 1,	// NLST: the name alone
	kFtpListingFacts = 2,	// MLSD: "type=file;size=1234;modify=20261123051700;perm=adfrw; name"
	kFtpListingStatus = 3	// STAT: a LIST line after a space (no line can pass for the reply's end)
};

typedef struct FtpListingRecord *FtpListing;

// Opens the folder `path` (absolute in the volume). `now` (seconds since the epoch, UTC) decides
// which LIST times show the year; `writable` the permissions shown. Returns NULL and sets
// *error (a negative VOLUME_E* code) on failure.
FtpListing ftpListingOpen(const char *path, uint8_t format, uint8_t writable, int64_t now, int32_t *error);

// Fills `buffer` with the next bytes of the listing, lines ended by CRLF (a line may be split
// between two reads). Returns the bytes written, 0 at the end, or a negative VOLUME_E* code.
int32_t ftpListingRead(FtpListing listing, uint8_t *buffer, uint32_t size);

// Closes the folder and frees the listing.
void ftpListingClose(FtpListing listing);

#endif
