/*
 * Between volume.c (the JS and C faces) and the storage backends (LittleFS, POSIX folder).
 *
 * volume.c normalises every path (volumePath.h) before a backend sees it, keeps the list of
 * open files and directories (so unmount can close them under their owners), and checks
 * access modes. A backend only moves bytes and maps its errors to VOLUME_E* codes.
 * Everything runs on the XS machine's thread: there is no locking.
 */
#ifndef __VOLUME_BACKEND_H__
#define __VOLUME_BACKEND_H__

#include "volume.h"
#include "volumePath.h"

#if ESP32 || defined(__ets__)
	#define kVolumeHasPartition 1
#endif

// One bit per capability of an open file.
enum {
	kVolumeModeRead = 1 << 0,
	kVolumeModeWrite = 1 << 1,
	kVolumeModeCreate = 1 << 2,
	kVolumeModeTruncate = 1 << 3,
	kVolumeModeAppend = 1 << 4
};

// Stored when the clock is not set: "unknown" to every reader.
#define kVolumeTimeUnknown (0)

typedef struct {
	int64_t size;
	int64_t mtime;
	uint8_t directory;
	char name[kVolumeNameMax + 1];		// filled by readDirectory only
} VolumeEntryRecord, *VolumeEntry;

typedef struct {
	const char *kind;
	double total;
	double used;
	uint32_t blockSize;
} VolumeInfoRecord, *VolumeInfo;

// Each backend's file record starts with this header.
struct VolumeFileRecord {
	struct VolumeFileRecord *next;
	uint8_t mode;			// kVolumeMode*
	uint8_t open;			// cleared when unmount closed it under its owner
	uint8_t written;		// a byte was written: the close stamps the modification time
};

typedef struct VolumeDirectoryRecord {
	struct VolumeDirectoryRecord *next;
	uint8_t open;
} VolumeDirectoryRecord, *VolumeDirectory;

typedef struct {
	const char *kind;
	// Closes the backend's own state; volume.c has closed every file and directory before.
	void (*unmount)(void);
	int32_t (*info)(VolumeInfo info);
	int32_t (*stat)(const char *path, VolumeEntry entry);
	// `mtime` is the new directory's modification time.
	int32_t (*makeDirectory)(const char *path, int64_t mtime);
	int32_t (*removeDirectory)(const char *path);
	int32_t (*removeFile)(const char *path);
	int32_t (*rename)(const char *from, const char *to);
	int32_t (*setTime)(const char *path, int64_t mtime);

	// Allocates the record (header zeroed) with c_calloc; volume.c frees it with c_free.
	VolumeFile (*openFile)(const char *path, uint8_t mode, int32_t *error);
	int32_t (*readFile)(VolumeFile file, void *buffer, uint32_t size);
	int32_t (*writeFile)(VolumeFile file, const void *buffer, uint32_t size);
	// Both return the position, or a negative VOLUME_E* code.
	int64_t (*getPosition)(VolumeFile file);
	int64_t (*setPosition)(VolumeFile file, int64_t position);
	int64_t (*getSize)(VolumeFile file);
	// Commits and releases the backend's state, not the record. `mtime` is the time to stamp
	// on a written file (when the backend stamps them itself).
	int32_t (*closeFile)(VolumeFile file, int64_t mtime);
	int (*descriptor)(VolumeFile file);
	// volumeReadInPlace, past volume.c's checks; NULL: VOLUME_ENOTSUP.
	int32_t (*readInPlace)(VolumeFile file, const void **data, uint32_t size);

	// Allocates the record like openFile.
	VolumeDirectory (*openDirectory)(const char *path, int32_t *error);
	// Returns 1 with an entry, 0 at the end, or a negative VOLUME_E* code.
	int32_t (*readDirectory)(VolumeDirectory directory, VolumeEntry entry);
	void (*closeDirectory)(VolumeDirectory directory);
} VolumeBackendRecord, *VolumeBackend;

// Seconds since the epoch (UTC), or kVolumeTimeUnknown when the clock has not been set.
int64_t volumeNow(void);

// Each mount returns the backend now mounted, or NULL with *error set.
#if MODDEF_VOLUME_IMAGE
VolumeBackend volumeLittlefsMountImage(const char *path, uint32_t size, int32_t *error);
#endif
#if kVolumeHasPartition
VolumeBackend volumeLittlefsMountPartition(int32_t *error);
#endif
#if MODDEF_VOLUME_POSIX
VolumeBackend volumePosixMount(const char *directory, int32_t *error);
#endif

#endif
