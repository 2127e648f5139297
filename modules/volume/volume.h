/*
 * The volume's C face, for native modules (ftpsock) that move file bytes without the XS heap.
 *
 * One volume is mounted per process: LittleFS (device partition, or an image file on the
 * Linux host) or, on the Linux host only, a POSIX folder. Paths are absolute within the
 * volume ("/dir/name"), already normalised and confined by the JS path rules.
 *
 * Errors are negative VOLUME_E* codes; the same names are the messages of the errors the
 * JS face throws.
 *
 * Call from the thread that runs the XS machine: the volume has no locks. A file still open
 * when the volume is unmounted is closed under its owner; volumeRead/volumeWrite then return
 * VOLUME_ENOTMOUNTED and volumeClose only frees it.
 */
#ifndef __VOLUME_H__
#define __VOLUME_H__

#include <stdint.h>

#include "volumeCodes.h"

typedef struct VolumeFileRecord *VolumeFile;

// Opens for reading, positioned at `offset` (past the end: reads return 0). Returns NULL and
// sets *error on failure.
VolumeFile volumeOpenRead(const char *path, uint32_t offset, int *error);

// Opens for writing: truncate (append == 0, offset == 0), resume at `offset` (append == 0;
// nothing after `offset` is truncated; an offset past the end is VOLUME_EINVAL), or append
// (append != 0). Creates the file when missing.
VolumeFile volumeOpenWrite(const char *path, int append, uint32_t offset, int *error);

// The size in bytes of an open file, or a negative VOLUME_E* code.
int64_t volumeSize(VolumeFile file);

// Moves the position of an open file to `offset` (past the end: reads return 0). Returns
// VOLUME_OK or a negative VOLUME_E* code.
int32_t volumeSeek(VolumeFile file, uint32_t offset);

// Returns bytes read (0 at end of file) or a negative VOLUME_E* code.
int32_t volumeRead(VolumeFile file, void *buffer, uint32_t size);

// Returns bytes written (all of them) or a negative VOLUME_E* code (VOLUME_ENOSPC when full).
int32_t volumeWrite(VolumeFile file, const void *buffer, uint32_t size);

// Commits and closes; for a written file, stamps its modification time. Returns 0 or a
// negative VOLUME_E* code (a failed commit of a written file is an error: the data is not safe).
int32_t volumeClose(VolumeFile file);

// For a POSIX volume, the file descriptor behind `file` (so sendfile/splice can be used),
// else -1.
int volumeDescriptor(VolumeFile file);

// For a file open for reading: its next bytes where the volume holds them, so they can be sent
// without a copy (on the Linux host, from the mapping of a LittleFS image). Sets *data and
// returns the length of the run (1 to `size` bytes; a run never crosses a LittleFS block),
// advancing the position past it; returns 0 at the end of the file. VOLUME_ENOTSUP: not
// available (a POSIX folder, the devices, a small file LittleFS keeps inline in its
// metadata): nothing moved, read with volumeRead. Other negative VOLUME_E* codes are errors.
// With `size` 0, returns 0 when runs are available and every run returned before is still
// readable, else a negative code: the runs live in the volume's memory until it is
// unmounted or fails (an image truncated under the server), so check before using one
// after anything else may have run. The bytes are read when used: a block rewritten since
// shows its new contents, as a later volumeRead would.
int32_t volumeReadInPlace(VolumeFile file, const void **data, uint32_t size);

// Directories, for native listings (ftpsock's): the entries of a folder, without "." and "..",
// in no particular order (on a POSIX volume, symlinks and special files are left out).
struct VolumeDirectoryRecord;

typedef struct {
	int64_t size;			// bytes; 0 for a directory
	int64_t mtime;			// seconds since the epoch (UTC); 0 when unknown
	uint8_t directory;
	char name[255 + 1];		// the last path component, NUL-terminated
} VolumeDirectoryEntry;

// Returns NULL and sets *error on failure (VOLUME_ENOTDIR for a file).
struct VolumeDirectoryRecord *volumeOpenDirectory(const char *path, int32_t *error);

// Returns 1 with `entry` filled, 0 at the end, or a negative VOLUME_E* code (VOLUME_ENOTMOUNTED
// once the volume was unmounted under the directory).
int32_t volumeReadDirectory(struct VolumeDirectoryRecord *directory, VolumeDirectoryEntry *entry);

// Releases the directory's state and frees it.
void volumeCloseDirectory(struct VolumeDirectoryRecord *directory);

// The name of a VOLUME_E* code, e.g. "ENOSPC".
const char *volumeErrorName(int32_t code);

#endif
