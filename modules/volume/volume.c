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

#include "volumeBackend.h"

static VolumeBackend gBackend;
static VolumeFile gFiles;
static VolumeDirectory gDirectories;

// Data from the JS face may sit in memory-mapped flash, which the ESP8266 reads only as
// aligned words: it reaches LittleFS through a RAM buffer.
#if defined(__ets__) && !ESP32
	#define kVolumeSpoolWrites 1
	#define kVolumeSpoolSize (128)
#endif

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
		default: return "EIO";
	}
}

/*
	open files and directories
*/

static VolumeFile fileOpen(const char *path, uint8_t mode, int32_t *error)
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

static int32_t fileCheck(VolumeFile file, uint8_t mode)
{
	if (!file->open)
		return VOLUME_ENOTMOUNTED;
	if (!(file->mode & mode))
		return VOLUME_EINVAL;
	return VOLUME_OK;
}

static int32_t fileRead(VolumeFile file, void *buffer, uint32_t size)
{
	int32_t result = fileCheck(file, kVolumeModeRead);
	if (result)
		return result;
	if (size > INT32_MAX)
		size = INT32_MAX;		// the count must fit the int32_t result
	return gBackend->readFile(file, buffer, size);
}

static int32_t fileWrite(VolumeFile file, const void *buffer, uint32_t size)
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
static int32_t fileClose(VolumeFile file)
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

static VolumeDirectory directoryOpen(const char *path, int32_t *error)
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
static void directoryRelease(VolumeDirectory directory)
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

static void volumeUnmount(void)
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
	int64_t position;

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
		position = gBackend->setPosition(file, offset);
		if (position < 0) {
			fileClose(file);
			*error = (int32_t)position;
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
	JS face
*/

void xs_volume_file_destructor(void *data);
void xs_volume_directory_destructor(void *data);

static const xsHostHooks xsVolumeFileHooks ICACHE_RODATA_ATTR = {
	xs_volume_file_destructor,
	NULL,
	NULL
};

static const xsHostHooks xsVolumeDirectoryHooks ICACHE_RODATA_ATTR = {
	xs_volume_directory_destructor,
	NULL,
	NULL
};

// The message is the code alone: xsUnknownError would add " (in function)" in debug builds.
static void throwCode(xsMachine *the, int32_t code)
{
	xsResult = xsNew1(xsGlobal, xsID_Error, xsString((char *)volumeErrorName(code)));
	xsThrow(xsResult);
}

static void check(xsMachine *the, int32_t result)
{
	if (result < 0)
		throwCode(the, result);
}

static VolumeBackend mountedBackend(xsMachine *the)
{
	if (!gBackend)
		throwCode(the, VOLUME_ENOTMOUNTED);
	return gBackend;
}

// `path` has room for kVolumePathMax + 1 bytes. The string is measured before it is copied
// so that a long one is ENAMETOOLONG rather than the RangeError of a short buffer.
static void toPath(xsMachine *the, xsSlot *slot, char *path)
{
	if (c_strlen(xsmcToString(*slot)) > kVolumePathMax)
		throwCode(the, VOLUME_ENAMETOOLONG);
	xsmcToStringBuffer(*slot, path, kVolumePathMax + 1);
	check(the, volumePathNormalize(path));
}

static void setEntry(xsMachine *the, xsSlot *object, const char *name, VolumeEntry entry)
{
	xsmcVars(1);
	xsmcSetString(xsVar(0), (char *)name);
	xsmcSet(*object, xsID_name, xsVar(0));
	xsmcSetNumber(xsVar(0), entry->directory ? 0 : (double)entry->size);
	xsmcSet(*object, xsID_size, xsVar(0));
	xsmcSetNumber(xsVar(0), (double)entry->mtime);
	xsmcSet(*object, xsID_mtime, xsVar(0));
	xsmcSetBoolean(xsVar(0), entry->directory);
	xsmcSet(*object, xsID_directory, xsVar(0));
}

#if MODDEF_VOLUME_IMAGE || MODDEF_VOLUME_POSIX
static void requireUnmounted(xsMachine *the)
{
	if (gBackend)
		throwCode(the, VOLUME_EEXIST);
}
#endif

void xs_volume_mountImage(xsMachine *the)
{
#if MODDEF_VOLUME_IMAGE
	double size = xsmcToNumber(xsArg(1));
	int32_t error;

	requireUnmounted(the);
	if (!(size >= 0) || (size > 0xFFFFF000) || (size != (double)(uint32_t)size))
		throwCode(the, VOLUME_EINVAL);
	gBackend = volumeLittlefsMountImage(xsmcToString(xsArg(0)), (uint32_t)size, &error);
	if (!gBackend)
		throwCode(the, error);
#else
	throwCode(the, VOLUME_EINVAL);
#endif
}

void xs_volume_mountRoot(xsMachine *the)
{
#if MODDEF_VOLUME_POSIX
	int32_t error;

	requireUnmounted(the);
	gBackend = volumePosixMount(xsmcToString(xsArg(0)), &error);
	if (!gBackend)
		throwCode(the, error);
#else
	throwCode(the, VOLUME_EINVAL);
#endif
}

void xs_volume_mountPartition(xsMachine *the)
{
#if kVolumeHasPartition
	int32_t error;

	// the partition is the only volume a device mounts: the app's "file" module may have
	// mounted it before the server
	if (gBackend)
		return;
	gBackend = volumeLittlefsMountPartition(&error);
	if (!gBackend)
		throwCode(the, error);
#else
	throwCode(the, VOLUME_EINVAL);
#endif
}

void xs_volume_unmount(xsMachine *the)
{
	(void)the;
	volumeUnmount();
}

void xs_volume_mounted(xsMachine *the)
{
	if (gBackend)
		xsmcSetString(xsResult, (char *)gBackend->kind);
}

void xs_volume_info(xsMachine *the)
{
	VolumeInfoRecord info;

	check(the, mountedBackend(the)->info(&info));
	xsmcVars(1);
	xsmcSetString(xsVar(0), (char *)info.kind);
	xsmcSet(xsArg(0), xsID_kind, xsVar(0));
	xsmcSetNumber(xsVar(0), info.total);
	xsmcSet(xsArg(0), xsID_total, xsVar(0));
	xsmcSetNumber(xsVar(0), info.used);
	xsmcSet(xsArg(0), xsID_used, xsVar(0));
	xsmcSetInteger(xsVar(0), info.blockSize);
	xsmcSet(xsArg(0), xsID_blockSize, xsVar(0));
	xsmcSetInteger(xsVar(0), kVolumePathMax);
	xsmcSet(xsArg(0), xsID_maxPathLength, xsVar(0));
}

void xs_volume_stat(xsMachine *the)
{
	char path[kVolumePathMax + 1];
	VolumeEntryRecord entry;
	int32_t result;

	toPath(the, &xsArg(0), path);
	result = mountedBackend(the)->stat(path, &entry);
	// a path through a file names nothing, like a missing one
	if ((VOLUME_ENOENT == result) || (VOLUME_ENOTDIR == result)) {
		xsmcSetFalse(xsResult);
		return;
	}
	check(the, result);
	setEntry(the, &xsArg(1), volumePathName(path), &entry);
	xsmcSetTrue(xsResult);
}

void xs_volume_mkdir(xsMachine *the)
{
	char path[kVolumePathMax + 1];

	toPath(the, &xsArg(0), path);
	check(the, mountedBackend(the)->makeDirectory(path, volumeNow()));
}

void xs_volume_rmdir(xsMachine *the)
{
	char path[kVolumePathMax + 1];

	toPath(the, &xsArg(0), path);
	check(the, mountedBackend(the)->removeDirectory(path));
}

void xs_volume_remove(xsMachine *the)
{
	char path[kVolumePathMax + 1];

	toPath(the, &xsArg(0), path);
	check(the, mountedBackend(the)->removeFile(path));
}

void xs_volume_rename(xsMachine *the)
{
	char from[kVolumePathMax + 1];
	char to[kVolumePathMax + 1];
	VolumeBackend backend = mountedBackend(the);

	toPath(the, &xsArg(0), from);
	toPath(the, &xsArg(1), to);
	if (0 == c_strcmp(from, to))
		return;
	// LittleFS would accept moving a directory under itself, and lose it
	if (volumePathWithin(to, from))
		throwCode(the, VOLUME_EINVAL);
	check(the, backend->rename(from, to));
}

void xs_volume_setTime(xsMachine *the)
{
	char path[kVolumePathMax + 1];
	double mtime = xsmcToNumber(xsArg(1));

	toPath(the, &xsArg(0), path);
	if (!((mtime >= 0) && (mtime <= 9007199254740991.0)) || (mtime != (double)(int64_t)mtime))
		throwCode(the, VOLUME_EINVAL);
	check(the, mountedBackend(the)->setTime(path, (int64_t)mtime));
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

/*
	JS face: Directory
*/

void xs_volume_directory_destructor(void *data)
{
	VolumeDirectory directory = data;

	if (directory) {
		directoryRelease(directory);
		c_free(directory);
	}
}

void xs_volume_directory(xsMachine *the)
{
	char path[kVolumePathMax + 1];
	VolumeDirectory directory;
	int32_t error;

	toPath(the, &xsArg(0), path);
	directory = directoryOpen(path, &error);
	if (!directory)
		throwCode(the, error);
	xsmcSetHostData(xsThis, directory);
	xsSetHostHooks(xsThis, (xsHostHooks *)&xsVolumeDirectoryHooks);
}

// The entry object comes from JS so its shape is defined in one place (volume.js).
void xs_volume_directory_read(xsMachine *the)
{
	VolumeDirectory directory = xsmcGetHostDataValidate(xsArg(0), (void *)&xsVolumeDirectoryHooks);
	VolumeEntryRecord entry;
	int32_t result;

	if (!directory || !directory->open) {
		xsmcSetFalse(xsResult);
		return;
	}
	result = gBackend->readDirectory(directory, &entry);
	if (result <= 0)
		directoryRelease(directory);	// done with it: release its state now, not at collection
	check(the, result);
	if (result)
		setEntry(the, &xsArg(1), entry.name, &entry);
	xsmcSetBoolean(xsResult, result);
}

void xs_volume_directory_close(xsMachine *the)
{
	VolumeDirectory directory = xsmcGetHostDataValidate(xsThis, (void *)&xsVolumeDirectoryHooks);

	xs_volume_directory_destructor(directory);
	xsmcSetHostData(xsThis, NULL);
}

/*
	JS face: FileHandle
*/

void xs_volume_file_destructor(void *data)
{
	if (data)
		fileClose(data);		// a collected handle cannot report a failed commit
}

static VolumeFile getFile(xsMachine *the)
{
	VolumeFile file = xsmcGetHostDataValidate(xsThis, (void *)&xsVolumeFileHooks);
	if (!file)
		throwCode(the, VOLUME_EINVAL);		// closed
	return file;
}

void xs_volume_file(xsMachine *the)
{
	char path[kVolumePathMax + 1];
	char flags[4];
	uint8_t mode;
	VolumeFile file;
	int32_t error;

	toPath(the, &xsArg(0), path);
	xsmcToStringBuffer(xsArg(1), flags, sizeof(flags));
	if (0 == c_strcmp(flags, "r"))
		mode = kVolumeModeRead;
	else if (0 == c_strcmp(flags, "w"))
		mode = kVolumeModeWrite | kVolumeModeCreate | kVolumeModeTruncate;
	else if (0 == c_strcmp(flags, "a"))
		mode = kVolumeModeWrite | kVolumeModeCreate | kVolumeModeAppend;
	else if (0 == c_strcmp(flags, "r+"))
		mode = kVolumeModeRead | kVolumeModeWrite;
	else
		throwCode(the, VOLUME_EINVAL);
	file = fileOpen(path, mode, &error);
	if (!file)
		throwCode(the, error);
	xsmcSetHostData(xsThis, file);
	xsSetHostHooks(xsThis, (xsHostHooks *)&xsVolumeFileHooks);
}

void xs_volume_file_read(xsMachine *the)
{
	VolumeFile file = getFile(the);
	void *buffer;
	xsUnsignedValue size;
	int32_t result;

	xsmcGetBufferWritable(xsArg(0), &buffer, &size);
	result = fileRead(file, buffer, size);
	check(the, result);
	xsmcSetInteger(xsResult, result);
}

void xs_volume_file_write(xsMachine *the)
{
	VolumeFile file = getFile(the);
	const uint8_t *data;
	xsUnsignedValue size;
	int32_t result;

	if (xsStringType == xsmcTypeOf(xsArg(0))) {
		data = (const uint8_t *)xsmcToString(xsArg(0));
		size = c_strlen((const char *)data);
	}
	else
		xsmcGetBufferReadable(xsArg(0), (void **)&data, &size);

#if kVolumeSpoolWrites
	{
		xsUnsignedValue remaining = size;
		uint8_t spool[kVolumeSpoolSize];

		while (remaining) {
			uint32_t use = (remaining < sizeof(spool)) ? remaining : sizeof(spool);
			c_memcpy(spool, data, use);
			check(the, fileWrite(file, spool, use));
			data += use;
			remaining -= use;
		}
		result = size;
	}
#else
	result = fileWrite(file, data, size);
	check(the, result);
#endif
	xsmcSetInteger(xsResult, result);
}

void xs_volume_file_get_position(xsMachine *the)
{
	VolumeFile file = getFile(the);
	int64_t position;

	check(the, fileCheck(file, kVolumeModeRead | kVolumeModeWrite));
	position = gBackend->getPosition(file);
	check(the, (int32_t)((position < 0) ? position : 0));
	xsmcSetNumber(xsResult, (double)position);
}

void xs_volume_file_set_position(xsMachine *the)
{
	VolumeFile file = getFile(the);
	double position = xsmcToNumber(xsArg(0));
	int64_t result;

	check(the, fileCheck(file, kVolumeModeRead | kVolumeModeWrite));
	if (!((position >= 0) && (position <= 9007199254740991.0)) || (position != (double)(int64_t)position))
		throwCode(the, VOLUME_EINVAL);
	result = gBackend->setPosition(file, (int64_t)position);
	check(the, (int32_t)((result < 0) ? result : 0));
}

void xs_volume_file_get_size(xsMachine *the)
{
	VolumeFile file = getFile(the);
	int64_t size;

	check(the, fileCheck(file, kVolumeModeRead | kVolumeModeWrite));
	size = gBackend->getSize(file);
	check(the, (int32_t)((size < 0) ? size : 0));
	xsmcSetNumber(xsResult, (double)size);
}

void xs_volume_file_close(xsMachine *the)
{
	VolumeFile file = xsmcGetHostDataValidate(xsThis, (void *)&xsVolumeFileHooks);

	if (!file)
		return;
	xsmcSetHostData(xsThis, NULL);
	check(the, fileClose(file));
}
