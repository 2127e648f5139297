/*
 * Listings made natively (ftpsock_listing.h): the same lines as modules/listing/format.ts,
 * which stays the reference (tests/ftp/listing.test.js compares both byte for byte).
 *
 * Nothing per entry is kept: the record holds the folder and the entry whose line is being
 * written. A line that does not fit the rest of the caller's buffer is formatted again on
 * the next read and its first `sent` bytes skipped, so there is no line buffer to carry.
 */
#include "xsmc.h"
#include "xsHost.h"			// c_malloc, c_memcpy...: the platform's C library
#include "../volume/volume.h"
#include "ftpsock_listing.h"

// Temporary uploads (modules/files/service.ts, TEMPORARY_PREFIX) are never listed.
#define kTemporaryPrefix ".ftpd-part-"

static int isTemporary(const char *name)
{
	const char *prefix = kTemporaryPrefix;

	while (*prefix && (*prefix == *name)) {
		prefix++;
		name++;
	}
	return !*prefix;
}

// Longest line: an MLSD line of a file with a 20-digit size and a 255-byte name is 329 bytes
// with its CRLF; a LIST or STAT line is shorter.
#define kLineMax (384)

// format.ts: a time within about six months (and not more than an hour ahead) shows hours and minutes.
#define kHalfYear ((int64_t)182 * 24 * 3600)

struct FtpListingRecord {
	struct VolumeDirectoryRecord *directory;
	int64_t now;
	uint8_t format;
	uint8_t writable;
	uint8_t pending;		// `entry` has a line, of which `sent` bytes are written
	uint8_t ended;
	uint16_t sent;
	VolumeDirectoryEntry entry;
};

typedef struct {
	int64_t year;
	uint8_t month;			// 1 to 12
	uint8_t day;
	uint8_t hour;
	uint8_t minute;
	uint8_t second;
} CivilTime;

static const char gMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// UTC calendar fields of `seconds` since the epoch, as JS's Date gives them (proleptic
// Gregorian; days from civil by H. Hinnant's public-domain algorithm).
static void civilTime(int64_t seconds, CivilTime *time)
{
	int64_t days = seconds / 86400, rest = seconds % 86400, era, year;
	uint32_t dayOfEra, yearOfEra, dayOfYear, monthIndex;

	if (rest < 0) {
		rest += 86400;
		days -= 1;
	}
	time->hour = (uint8_t)(rest / 3600);
	time->minute = (uint8_t)((rest / 60) % 60);
	time->second = (uint8_t)(rest % 60);
	days += 719468;
	era = ((days >= 0) ? days : (days - 146096)) / 146097;
	dayOfEra = (uint32_t)(days - era * 146097);
	yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
	year = (int64_t)yearOfEra + era * 400;
	dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
	monthIndex = (5 * dayOfYear + 2) / 153;
	time->day = (uint8_t)(dayOfYear - (153 * monthIndex + 2) / 5 + 1);
	time->month = (uint8_t)((monthIndex < 10) ? (monthIndex + 3) : (monthIndex - 9));
	time->year = year + (time->month <= 2);
}

static char *putText(char *to, const char *text)
{
	while (*text)
		*to++ = *text++;
	return to;
}

// A decimal integer as JS's String() writes it, right-aligned in `width` with `fill`.
static char *putNumber(char *to, int64_t value, int width, char fill)
{
	char digits[24];
	int count = 0, negative = value < 0;
	uint64_t magnitude = negative ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;

	do {
		digits[count++] = (char)('0' + (magnitude % 10));
		magnitude /= 10;
	} while (magnitude);
	if (negative)
		digits[count++] = '-';
	while (width-- > count)
		*to++ = fill;
	while (count)
		*to++ = digits[--count];
	return to;
}

// format.ts formatListLine(), after a space for STAT.
static char *putListLine(char *to, FtpListing listing)
{
	VolumeDirectoryEntry *entry = &listing->entry;
	char w = listing->writable ? 'w' : '-';
	CivilTime time;

	if (kFtpListingStatus == listing->format)
		*to++ = ' ';
	if (entry->directory) {
		*to++ = 'd'; *to++ = 'r'; *to++ = w;
		to = putText(to, "xr-xr-x");
	}
	else {
		*to++ = '-'; *to++ = 'r'; *to++ = w;
		to = putText(to, "-r--r--");
	}
	to = putText(to, " 1 ftp ftp ");
	to = putNumber(to, entry->size, 10, ' ');
	*to++ = ' ';
	civilTime(entry->mtime, &time);
	to = putText(to, gMonths[time.month - 1]);
	*to++ = ' ';
	to = putNumber(to, time.day, 2, ' ');
	*to++ = ' ';
	if ((entry->mtime <= listing->now + 3600) && (listing->now - entry->mtime < kHalfYear)) {
		to = putNumber(to, time.hour, 2, '0');
		*to++ = ':';
		to = putNumber(to, time.minute, 2, '0');
	}
	else {
		*to++ = ' ';
		to = putNumber(to, time.year, 0, ' ');
	}
	*to++ = ' ';
	return putText(to, entry->name);
}

// format.ts formatMlsxLine().
static char *putFactsLine(char *to, FtpListing listing)
{
	VolumeDirectoryEntry *entry = &listing->entry;
	CivilTime time;

	if (entry->directory)
		to = putText(to, "type=dir;");
	else {
		to = putText(to, "type=file;size=");
		to = putNumber(to, entry->size, 0, ' ');
		*to++ = ';';
	}
	if (entry->mtime) {
		civilTime(entry->mtime, &time);
		to = putText(to, "modify=");
		to = putNumber(to, time.year, 0, ' ');
		to = putNumber(to, time.month, 2, '0');
		to = putNumber(to, time.day, 2, '0');
		to = putNumber(to, time.hour, 2, '0');
		to = putNumber(to, time.minute, 2, '0');
		to = putNumber(to, time.second, 2, '0');
		*to++ = ';';
	}
	if (entry->directory)
		to = putText(to, listing->writable ? "perm=cdeflmp;" : "perm=el;");
	else
		to = putText(to, listing->writable ? "perm=adfrw;" : "perm=r;");
	*to++ = ' ';
	return putText(to, entry->name);
}

// The line of the pending entry, with its CRLF, into `to` (kLineMax bytes); returns its length.
static uint32_t formatLine(FtpListing listing, char *to)
{
	char *end;

	if (kFtpListingNames == listing->format)
		end = putText(to, listing->entry.name);
	else if (kFtpListingFacts == listing->format)
		end = putFactsLine(to, listing);
	else
		end = putListLine(to, listing);
	*end++ = '\r';
	*end++ = '\n';
	return (uint32_t)(end - to);
}

FtpListing ftpListingOpen(const char *path, uint8_t format, uint8_t writable, int64_t now, int32_t *error)
{
	FtpListing listing;

	if (format > kFtpListingStatus) {
		*error = VOLUME_EINVAL;
		return NULL;
	}
	listing = c_calloc(1, sizeof(struct FtpListingRecord));
	if (!listing) {
		*error = VOLUME_ENOMEM;
		return NULL;
	}
	listing->directory = volumeOpenDirectory(path, error);
	if (!listing->directory) {
		c_free(listing);
		return NULL;
	}
	listing->format = format;
	listing->writable = writable ? 1 : 0;
	listing->now = now;
	*error = VOLUME_OK;
	return listing;
}

int32_t ftpListingRead(FtpListing listing, uint8_t *buffer, uint32_t size)
{
	uint32_t used = 0, length, part;
	int32_t result;
	char line[kLineMax];

	while (used < size) {
		if (!listing->pending) {
			if (listing->ended)
				break;
			result = volumeReadDirectory(listing->directory, &listing->entry);
			if (result < 0)
				return result;
			if (0 == result) {
				listing->ended = 1;
				break;
			}
			if (isTemporary(listing->entry.name))
				continue;
			listing->pending = 1;
			listing->sent = 0;
		}
		if (!listing->sent && ((size - used) >= kLineMax)) {
			used += formatLine(listing, (char *)buffer + used);		// the usual case: straight into the buffer
			listing->pending = 0;
			continue;
		}
		length = formatLine(listing, line);
		part = length - listing->sent;
		if (part > size - used)
			part = size - used;
		c_memcpy(buffer + used, line + listing->sent, part);
		used += part;
		listing->sent += (uint16_t)part;
		if (listing->sent == length)
			listing->pending = 0;
	}
	return (int32_t)used;
}

void ftpListingClose(FtpListing listing)
{
	if (!listing)
		return;
	volumeCloseDirectory(listing->directory);
	c_free(listing);
}

