/*
 * The volume: one mounted storage per process, its C face (volume.h) and its JS face
 * (volume.js), both dispatched to the mounted backend.
 *
 * Open files and directories are kept in lists so unmount can close them under their
 * owners; a record closed that way stays allocated until its owner closes or collects it,
 * and every later use of it reports VOLUME_ENOTMOUNTED.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "mc.xs.h"			// for xsID_ values
#include "modInstrumentation.h"
#if ESP32
	// xsHost.h makes c_timeval a struct timeval there, and nothing it includes declares it
	#include <sys/time.h>
#endif

#include "volumeCore.h"

VolumeBackend gBackend;
static VolumeFile gFiles;
static VolumeDirectory gDirectories;

// 2020-01-01T00:00:00Z: a device clock before that was never set.
#define kVolumeClockSetAfter (1577836800)

int64_t volumeNow(void)
{
	c_timeval now;

	c_gettimeofday(&now, NULL);
	if (now.tv_sec < kVolumeClockSetAfter)
		return kVolumeTimeUnknown;
	return now.tv_sec;
}

const char *volumeErrorName(int32_t code)
{
	switch (code) {
		case VOLUME_OK: return "OK";
		case VOLUME_ENOENT: return "ENOENT";
		case VOLUME_EEXIST: return "EEXIST";
		case VOLUME_ENOTDIR: return "ENOTDIR";
		case VOLUME_EISDIR: return "EISDIR";
		case VOLUME_ENOTEMPTY: return "ENOTEMPTY";
		case VOLUME_ENOSPC: return "ENOSPC";
		case VOLUME_ENAMETOOLONG: return "ENAMETOOLONG";
		case VOLUME_EINVAL: return "EINVAL";
		case VOLUME_ENOMEM: return "ENOMEM";
		case VOLUME_EACCES: return "EACCES";
		case VOLUME_ENOTMOUNTED: return "ENOTMOUNTED";
		case VOLUME_ENOTSUP: return "ENOTSUP";
		case VOLUME_EBUSY: return "EBUSY";
		case VOLUME_EFTYPE: return "EFTYPE";
		default: return "EIO";
	}
}

/*
	open files and directories
*/

VolumeFile fileOpen(const char *path, uint8_t mode, int32_t *error)
{
	VolumeFile file;

	if (!gBackend) {
		*error = VOLUME_ENOTMOUNTED;
		return NULL;
	}
	file = gBackend->openFile(path, mode, error);
	if (!file)
		return NULL;
	file->mode = mode;
	file->open = 1;
	file->next = gFiles;
	gFiles = file;
	modInstrumentationAdjust(Files, +1);
	return file;
}

int32_t fileCheck(VolumeFile file, uint8_t mode)
{
	if (!file->open)
		return VOLUME_ENOTMOUNTED;
	if (!(file->mode & mode))
		return VOLUME_EINVAL;
	return VOLUME_OK;
}

int32_t fileRead(VolumeFile file, void *buffer, uint32_t size)
{
	int32_t result = fileCheck(file, kVolumeModeRead);
	if (result)
		return result;
	if (size > INT32_MAX)
		size = INT32_MAX;		// the count must fit the int32_t result
	return gBackend->readFile(file, buffer, size);
}

int32_t fileWrite(VolumeFile file, const void *buffer, uint32_t size)
{
	int32_t result = fileCheck(file, kVolumeModeWrite);
	if (result)
		return result;
	if (0 == size)
		return 0;
	if (size > INT32_MAX)
		return VOLUME_EINVAL;
	result = gBackend->writeFile(file, buffer, size);
	if (result > 0)
		file->written = 1;
	return result;
}

// Frees the record whatever happens: a failed commit is reported, not retried.
int32_t fileClose(VolumeFile file)
{
	int32_t result = VOLUME_OK;

	if (file->open) {
		VolumeFile *link = &gFiles;
		while (*link != file)
			link = &(*link)->next;
		*link = file->next;
		result = gBackend->closeFile(file, volumeNow());
		modInstrumentationAdjust(Files, -1);
	}
	c_free(file);
	return result;
}

VolumeDirectory directoryOpen(const char *path, int32_t *error)
{
	VolumeDirectory directory;

	if (!gBackend) {
		*error = VOLUME_ENOTMOUNTED;
		return NULL;
	}
	directory = gBackend->openDirectory(path, error);
	if (!directory)
		return NULL;
	directory->open = 1;
	directory->next = gDirectories;
	gDirectories = directory;
	modInstrumentationAdjust(Files, +1);
	return directory;
}

// Releases the backend's state; the record itself stays with its owner.
void directoryRelease(VolumeDirectory directory)
{
	VolumeDirectory *link = &gDirectories;

	if (!directory->open)
		return;
	while (*link != directory)
		link = &(*link)->next;
	*link = directory->next;
	gBackend->closeDirectory(directory);
	directory->open = 0;
	modInstrumentationAdjust(Files, -1);
}

void volumeUnmount(void)
{
	int64_t now = volumeNow();

	if (!gBackend)
		return;
	while (gFiles) {
		VolumeFile file = gFiles;
		gFiles = file->next;
		gBackend->closeFile(file, now);
		file->open = 0;
		modInstrumentationAdjust(Files, -1);
	}
	while (gDirectories)
		directoryRelease(gDirectories);
	gBackend->unmount();
	gBackend = NULL;
}

/*
	C face
*/

VolumeFile volumeOpenRead(const char *path, uint32_t offset, int *error)
{
	char normal[kVolumePathMax + 1];
	int32_t result = volumePathCopy(path, normal);
	VolumeFile file;

	if (result) {
		*error = result;
		return NULL;
	}
	file = fileOpen(normal, kVolumeModeRead, &result);
	if (!file) {
		*error = result;
		return NULL;
	}
	if (offset) {
		result = volumeSeek(file, offset);
		if (result) {
			fileClose(file);
			*error = result;
			return NULL;
		}
	}
	*error = VOLUME_OK;
	return file;
}

VolumeFile volumeOpenWrite(const char *path, int append, uint32_t offset, int *error)
{
	char normal[kVolumePathMax + 1];
	int32_t result = volumePathCopy(path, normal);
	uint8_t mode = kVolumeModeWrite | kVolumeModeCreate;
	VolumeFile file;

	if (result) {
		*error = result;
		return NULL;
	}
	if (append)
		mode |= kVolumeModeAppend;
	else if (0 == offset)
		mode |= kVolumeModeTruncate;
	file = fileOpen(normal, mode, &result);
	if (!file) {
		*error = result;
		return NULL;
	}
	if (!append && offset) {
		// resuming past the end would leave a hole of zeros the client never sent
		int64_t size = gBackend->getSize(file);
		int64_t position = (size < 0) ? size : ((size < offset) ? VOLUME_EINVAL : gBackend->setPosition(file, offset));
		if (position < 0) {
			fileClose(file);
			*error = (int32_t)position;
			return NULL;
		}
	}
	*error = VOLUME_OK;
	return file;
}

int64_t volumeSize(VolumeFile file)
{
	int32_t result = fileCheck(file, kVolumeModeRead | kVolumeModeWrite);
	if (result)
		return result;
	return gBackend->getSize(file);
}

int32_t volumeSeek(VolumeFile file, uint32_t offset)
{
	int32_t result = fileCheck(file, kVolumeModeRead | kVolumeModeWrite);
	int64_t position;

	if (result)
		return result;
	position = gBackend->setPosition(file, offset);
	return (position < 0) ? (int32_t)position : VOLUME_OK;
}

int32_t volumeRead(VolumeFile file, void *buffer, uint32_t size)
{
	return fileRead(file, buffer, size);
}

int32_t volumeWrite(VolumeFile file, const void *buffer, uint32_t size)
{
	return fileWrite(file, buffer, size);
}

int32_t volumeClose(VolumeFile file)
{
	return fileClose(file);
}

int32_t volumeReadInPlace(VolumeFile file, const void **data, uint32_t size)
{
	int32_t result = fileCheck(file, kVolumeModeRead);
	if (result)
		return result;
	if (!gBackend->readInPlace || (file->mode & kVolumeModeWrite))
		return VOLUME_ENOTSUP;
	if (size > INT32_MAX)
		size = INT32_MAX;		// the count must fit the int32_t result
	return gBackend->readInPlace(file, data, size);
}

int volumeDescriptor(VolumeFile file)
{
	if (!file->open)
		return -1;
	return gBackend->descriptor(file);
}

/*
	C face: directories (native listings)
*/

VolumeDirectory volumeOpenDirectory(const char *path, int32_t *error)
{
	char normal[kVolumePathMax + 1];
	int32_t result = volumePathCopy(path, normal);

	if (result) {
		*error = result;
		return NULL;
	}
	return directoryOpen(normal, error);
}

int32_t volumeReadDirectory(VolumeDirectory directory, VolumeDirectoryEntry *entry)
{
	VolumeEntryRecord record;
	int32_t result;

	if (!directory->open)
		return VOLUME_ENOTMOUNTED;
	result = gBackend->readDirectory(directory, &record);
	if (result <= 0) {
		directoryRelease(directory);	// done with it: release its state now
		return result;
	}
	entry->size = record.directory ? 0 : record.size;
	entry->mtime = record.mtime;
	entry->directory = record.directory;
	c_strcpy(entry->name, record.name);
	return 1;
}

void volumeCloseDirectory(VolumeDirectory directory)
{
	directoryRelease(directory);
	c_free(directory);
}
