/*
 * The volume's JS face (volume.js, volume.d.ts): mounting, file system operations, and the
 * File and Directory host objects, over the mounted backend (volume.c).
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

// Data from the JS face may sit in memory-mapped flash, which the ESP8266 reads only as
// aligned words: it reaches LittleFS through a RAM buffer.
#if defined(__ets__) && !ESP32
	#define kVolumeSpoolWrites 1
	#define kVolumeSpoolSize (128)
#endif

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
