/*
 * The LittleFS backend, over a block device (volumeDevice.h).
 *
 * Modification times live in a custom attribute (kVolumeTimeAttribute): 8 bytes, little
 * endian, signed seconds since the epoch (UTC). A file opened for writing carries the
 * attribute in its lfs_file_config, so LittleFS commits the time in the same metadata commit
 * as the file's new contents: after a power loss the file and its time always match.
 *
 * Every buffer LittleFS uses is allocated here, with the record it belongs to (the volume's
 * read, prog and lookahead buffers; each open file's cache), so lfs_malloc is never called
 * and an open file costs one allocation.
 */
#include <stddef.h>
#include "lfs.h"
#include "volumeDevice.h"
#include "volumeLfs.h"

#ifndef MODDEF_VOLUME_LFS_READ_SIZE
	#define MODDEF_VOLUME_LFS_READ_SIZE (16)
#endif
#ifndef MODDEF_VOLUME_LFS_PROG_SIZE
	#define MODDEF_VOLUME_LFS_PROG_SIZE (16)
#endif
#ifndef MODDEF_VOLUME_LFS_CACHE_SIZE
	#define MODDEF_VOLUME_LFS_CACHE_SIZE (256)
#endif
#ifndef MODDEF_VOLUME_LFS_LOOKAHEAD_SIZE
	#define MODDEF_VOLUME_LFS_LOOKAHEAD_SIZE (32)
#endif
#ifndef MODDEF_VOLUME_LFS_BLOCK_CYCLES
	#define MODDEF_VOLUME_LFS_BLOCK_CYCLES (500)
#endif

#define kCacheSize (MODDEF_VOLUME_LFS_CACHE_SIZE)
#define kLookaheadSize (MODDEF_VOLUME_LFS_LOOKAHEAD_SIZE)

// LittleFS's own rules for these sizes (lfs.h, struct lfs_config).
#if (kCacheSize % MODDEF_VOLUME_LFS_READ_SIZE) || (kCacheSize % MODDEF_VOLUME_LFS_PROG_SIZE) || (4096 % kCacheSize)
	#error "volume.lfs.cache_size must be a multiple of read_size and prog_size, and divide the 4096-byte block"
#endif
#if (kLookaheadSize % 8) || (0 == kLookaheadSize)
	#error "volume.lfs.lookahead_size must be a multiple of 8"
#endif

#define kVolumeTimeAttribute (0x74)
#define kVolumeTimeSize (8)

typedef struct {
	lfs_t lfs;
	struct lfs_config config;
	uint8_t image;						// an image file, else the device's partition
	// lookahead first: LittleFS wants it 32-bit aligned
	uint32_t lookahead[kLookaheadSize / 4];
	uint8_t readCache[kCacheSize];
	uint8_t progCache[kCacheSize];
} LittlefsVolumeRecord, *LittlefsVolume;

typedef struct {
	struct VolumeFileRecord base;
	lfs_file_t file;
	struct lfs_file_config config;
	struct lfs_attr attribute;
	uint8_t mtime[kVolumeTimeSize];
#if MODDEF_VOLUME_IMAGE
	VolumeLfsAhead ahead;				// reads in place: the blocks that follow
#endif
	uint8_t cache[kCacheSize];
} LittlefsFileRecord, *LittlefsFile;

typedef struct {
	VolumeDirectoryRecord base;
	lfs_dir_t dir;
} LittlefsDirectoryRecord, *LittlefsDirectory;

static LittlefsVolume gLittlefs;

// Not a stored time (those are >= 0): the attribute was missing when the file was opened.
static const uint8_t kTimeMissing[kVolumeTimeSize] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

static int32_t toVolumeError(int error)
{
	switch (error) {
		case LFS_ERR_OK: return VOLUME_OK;
		case LFS_ERR_NOENT: return VOLUME_ENOENT;
		case LFS_ERR_EXIST: return VOLUME_EEXIST;
		case LFS_ERR_NOTDIR: return VOLUME_ENOTDIR;
		case LFS_ERR_ISDIR: return VOLUME_EISDIR;
		case LFS_ERR_NOTEMPTY: return VOLUME_ENOTEMPTY;
		case LFS_ERR_NOSPC: return VOLUME_ENOSPC;
		case LFS_ERR_FBIG: return VOLUME_ENOSPC;
		case LFS_ERR_NAMETOOLONG: return VOLUME_ENAMETOOLONG;
		case LFS_ERR_INVAL: return VOLUME_EINVAL;
		case LFS_ERR_BADF: return VOLUME_EINVAL;
		case LFS_ERR_NOMEM: return VOLUME_ENOMEM;
		default: return (error < 0) ? VOLUME_EIO : VOLUME_OK;
	}
}

static void encodeTime(uint8_t *bytes, int64_t time)
{
	int i;
	for (i = 0; i < kVolumeTimeSize; i++, time >>= 8)
		bytes[i] = (uint8_t)time;
}

static int64_t decodeTime(const uint8_t *bytes)
{
	uint64_t time = 0;
	int i;
	for (i = kVolumeTimeSize - 1; i >= 0; i--)
		time = (time << 8) | bytes[i];
	return (int64_t)time;
}

// `size`: what reading the attribute into `bytes` returned.
static int64_t toTime(const uint8_t *bytes, lfs_ssize_t size)
{
	if (size != kVolumeTimeSize)
		return kVolumeTimeUnknown;
	return decodeTime(bytes);
}

static int32_t writeTime(const char *path, int64_t time)
{
	uint8_t bytes[kVolumeTimeSize];
	encodeTime(bytes, time);
	return toVolumeError(lfs_setattr(&gLittlefs->lfs, path, kVolumeTimeAttribute, bytes, sizeof(bytes)));
}

// lfs.h of the SDK defines LFS_THREADSAFE, so LittleFS calls these; every call comes from
// the XS machine's thread, so there is nothing to lock.
static int lockVolume(const struct lfs_config *config)
{
	(void)config;
	return LFS_ERR_OK;
}

static int unlockVolume(const struct lfs_config *config)
{
	(void)config;
	return LFS_ERR_OK;
}

/*
	volume
*/

static void closeDevice(LittlefsVolume volume, uint8_t discard)
{
#if MODDEF_VOLUME_IMAGE
	if (volume->image)
		volumeImageClose(&volume->config, discard);
#endif
#if kVolumeHasPartition
	if (!volume->image)
		volumePartitionClose(&volume->config);
#endif
	(void)discard;
}

static void littlefsUnmount(void)
{
	lfs_unmount(&gLittlefs->lfs);
#if MODDEF_VOLUME_IMAGE
	if (gLittlefs->image)
		volumeLfsFetchCacheStop();
#endif
	closeDevice(gLittlefs, 0);
	c_free(gLittlefs);
	gLittlefs = NULL;
}

static int32_t littlefsInfo(VolumeInfo info)
{
	lfs_ssize_t used = lfs_fs_size(&gLittlefs->lfs);
	if (used < 0)
		return toVolumeError(used);
	info->kind = "littlefs";
	info->blockSize = gLittlefs->config.block_size;
	info->total = (double)gLittlefs->config.block_count * gLittlefs->config.block_size;
	info->used = (double)used * gLittlefs->config.block_size;
	return VOLUME_OK;
}

static int32_t littlefsStat(const char *path, VolumeEntry entry)
{
	struct lfs_info info;
	uint8_t bytes[kVolumeTimeSize];
	lfs_ssize_t size;
	int error = volumeLfsStat(&gLittlefs->lfs, path, &info, kVolumeTimeAttribute, bytes, sizeof(bytes), &size);
	if (error)
		return toVolumeError(error);
	entry->directory = LFS_TYPE_DIR == info.type;
	entry->size = entry->directory ? 0 : info.size;
	entry->mtime = toTime(bytes, size);
	return VOLUME_OK;
}

static int32_t littlefsMakeDirectory(const char *path, int64_t mtime)
{
	// two commits: a power loss between them leaves a directory without a time (0, unknown)
	int error = lfs_mkdir(&gLittlefs->lfs, path);
	if (error)
		return toVolumeError(error);
	return writeTime(path, mtime);
}

static int32_t littlefsRemoveDirectory(const char *path)
{
	struct lfs_info info;
	int error;

	if (0 == path[1])
		return VOLUME_EINVAL;		// the root
	error = lfs_stat(&gLittlefs->lfs, path, &info);
	if (error)
		return toVolumeError(error);
	if (LFS_TYPE_DIR != info.type)
		return VOLUME_ENOTDIR;
	return toVolumeError(lfs_remove(&gLittlefs->lfs, path));	// LFS_ERR_NOTEMPTY unless empty
}

static int32_t littlefsRemoveFile(const char *path)
{
	struct lfs_info info;
	int error = lfs_stat(&gLittlefs->lfs, path, &info);
	if (error)
		return toVolumeError(error);
	if (LFS_TYPE_REG != info.type)
		return VOLUME_EISDIR;
	return toVolumeError(lfs_remove(&gLittlefs->lfs, path));
}

// lfs_rename is atomic and replaces an existing `to` (a file, or an empty directory when
// `from` is one): lfs_rawrename writes the delete of the old `to`, the new name and the
// move of `from`'s attributes in one lfs_dir_commit to `to`'s metadata pair. Between two
// directories the move is first recorded in the global state (lfs_fs_prepmove) within that
// same commit: until the old entry's delete is committed, reads skip it (the pending move
// in the global state hides it) and a power loss is finished by the consistency pass on the
// next write (lfs_fs_forceconsistency). The file exists under exactly one name, with its
// old or its new contents. It keeps custom attributes, hence the
// modification time.
static int32_t littlefsRename(const char *from, const char *to)
{
	return toVolumeError(lfs_rename(&gLittlefs->lfs, from, to));
}

static int32_t littlefsSetTime(const char *path, int64_t mtime)
{
	return writeTime(path, mtime);
}

/*
	files
*/

static VolumeFile littlefsOpenFile(const char *path, uint8_t mode, int32_t *error)
{
	// not calloc: LittleFS fills the cache itself when it opens the file (4 KiB set twice per open)
	LittlefsFile file = c_malloc(sizeof(LittlefsFileRecord));
	int flags, result;

	if (!file) {
		*error = VOLUME_ENOMEM;
		return NULL;
	}
	c_memset(file, 0, offsetof(LittlefsFileRecord, cache));
	file->config.buffer = file->cache;
	if (mode & kVolumeModeWrite) {
		// read-write, so LittleFS loads the stored time: it is kept when nothing is written
		flags = LFS_O_RDWR;
		c_memcpy(file->mtime, kTimeMissing, sizeof(file->mtime));
		file->attribute.type = kVolumeTimeAttribute;
		file->attribute.buffer = file->mtime;
		file->attribute.size = sizeof(file->mtime);
		file->config.attrs = &file->attribute;
		file->config.attr_count = 1;
	}
	else
		flags = LFS_O_RDONLY;
	if (mode & kVolumeModeCreate)
		flags |= LFS_O_CREAT;
	if (mode & kVolumeModeTruncate)
		flags |= LFS_O_TRUNC;
	if (mode & kVolumeModeAppend)
		flags |= LFS_O_APPEND;

	result = lfs_file_opencfg(&gLittlefs->lfs, &file->file, path, flags, &file->config);
	if (result) {
		c_free(file);
		*error = toVolumeError(result);
		return NULL;
	}
	return &file->base;
}

static int32_t littlefsReadFile(VolumeFile it, void *buffer, uint32_t size)
{
	LittlefsFile file = (LittlefsFile)it;
	lfs_ssize_t result = lfs_file_read(&gLittlefs->lfs, &file->file, buffer, size);
	return (result < 0) ? toVolumeError(result) : result;
}

static int32_t littlefsWriteFile(VolumeFile it, const void *buffer, uint32_t size)
{
	LittlefsFile file = (LittlefsFile)it;
	lfs_ssize_t result = lfs_file_write(&gLittlefs->lfs, &file->file, buffer, size);
	return (result < 0) ? toVolumeError(result) : result;
}

static int64_t littlefsGetPosition(VolumeFile it)
{
	LittlefsFile file = (LittlefsFile)it;
	lfs_soff_t result = lfs_file_tell(&gLittlefs->lfs, &file->file);
	return (result < 0) ? toVolumeError(result) : result;
}

static int64_t littlefsSetPosition(VolumeFile it, int64_t position)
{
	LittlefsFile file = (LittlefsFile)it;
	lfs_soff_t result;

	if (position > LFS_FILE_MAX)
		return VOLUME_EINVAL;
	result = lfs_file_seek(&gLittlefs->lfs, &file->file, (lfs_soff_t)position, LFS_SEEK_SET);
	return (result < 0) ? toVolumeError(result) : result;
}

static int64_t littlefsGetSize(VolumeFile it)
{
	LittlefsFile file = (LittlefsFile)it;
	lfs_soff_t result = lfs_file_size(&gLittlefs->lfs, &file->file);
	return (result < 0) ? toVolumeError(result) : result;
}

static int32_t littlefsCloseFile(VolumeFile it, int64_t mtime)
{
	LittlefsFile file = (LittlefsFile)it;

	// the attribute buffer is committed with the file by lfs_file_close
	if (file->base.written || (file->base.mode & kVolumeModeTruncate) || !c_memcmp(file->mtime, kTimeMissing, sizeof(file->mtime)))
		encodeTime(file->mtime, mtime);
	return toVolumeError(lfs_file_close(&gLittlefs->lfs, &file->file));
}

#if MODDEF_VOLUME_IMAGE
// The file's next bytes in the image's mapping: see volumeReadInPlace.
static int32_t littlefsReadInPlace(VolumeFile it, const void **data, uint32_t size)
{
	LittlefsFile file = (LittlefsFile)it;
	const uint8_t *memory;
	lfs_block_t block;
	lfs_off_t offset;
	lfs_ssize_t result;

	if (!gLittlefs->image)
		return VOLUME_ENOTSUP;
	memory = volumeImageMemory(&gLittlefs->config);
	if (!memory)
		return VOLUME_EIO;
	result = volumeLfsFileRun(&gLittlefs->lfs, &file->file, &file->ahead, size, &block, &offset);
	if (kVolumeLfsNoRun == result)
		return VOLUME_ENOTSUP;
	if (result <= 0)
		return toVolumeError(result);
	*data = memory + ((size_t)block * gLittlefs->config.block_size) + offset;
	return result;
}
#endif

static int littlefsDescriptor(VolumeFile file)
{
	(void)file;
	return -1;
}

/*
	directories
*/

static VolumeDirectory littlefsOpenDirectory(const char *path, int32_t *error)
{
	LittlefsDirectory directory = c_calloc(1, sizeof(LittlefsDirectoryRecord));
	int result;

	if (!directory) {
		*error = VOLUME_ENOMEM;
		return NULL;
	}
	result = lfs_dir_open(&gLittlefs->lfs, &directory->dir, path);
	if (result) {
		c_free(directory);
		*error = toVolumeError(result);
		return NULL;
	}
	return &directory->base;
}

static int32_t littlefsReadDirectory(VolumeDirectory it, VolumeEntry entry)
{
	LittlefsDirectory directory = (LittlefsDirectory)it;
	struct lfs_info info;
	uint8_t bytes[kVolumeTimeSize];
	int result;

	lfs_ssize_t attributeSize;

	// the time from the same scan of the metadata: by path, each entry was a scan of the directory
	do {
		result = volumeLfsDirRead(&gLittlefs->lfs, &directory->dir, &info, kVolumeTimeAttribute, bytes, sizeof(bytes), &attributeSize);
		if (result <= 0)
			return toVolumeError(result);
	} while (!c_strcmp(info.name, ".") || !c_strcmp(info.name, ".."));

	c_strcpy(entry->name, info.name);
	entry->directory = LFS_TYPE_DIR == info.type;
	entry->size = entry->directory ? 0 : info.size;
	entry->mtime = toTime(bytes, attributeSize);
	return 1;
}

static void littlefsCloseDirectory(VolumeDirectory it)
{
	LittlefsDirectory directory = (LittlefsDirectory)it;
	lfs_dir_close(&gLittlefs->lfs, &directory->dir);
}

static const VolumeBackendRecord gLittlefsBackend ICACHE_RODATA_ATTR = {
	.kind = "littlefs",
	.unmount = littlefsUnmount,
	.info = littlefsInfo,
	.stat = littlefsStat,
	.makeDirectory = littlefsMakeDirectory,
	.removeDirectory = littlefsRemoveDirectory,
	.removeFile = littlefsRemoveFile,
	.rename = littlefsRename,
	.setTime = littlefsSetTime,
	.openFile = littlefsOpenFile,
	.readFile = littlefsReadFile,
	.writeFile = littlefsWriteFile,
	.getPosition = littlefsGetPosition,
	.setPosition = littlefsSetPosition,
	.getSize = littlefsGetSize,
	.closeFile = littlefsCloseFile,
	.descriptor = littlefsDescriptor,
#if MODDEF_VOLUME_IMAGE
	.readInPlace = littlefsReadInPlace,
#endif
	.openDirectory = littlefsOpenDirectory,
	.readDirectory = littlefsReadDirectory,
	.closeDirectory = littlefsCloseDirectory
};

/*
	mount
*/

static LittlefsVolume newVolume(uint8_t image)
{
	LittlefsVolume volume = c_calloc(1, sizeof(LittlefsVolumeRecord));
	if (volume)
		volume->image = image;
	return volume;
}

// The device has filled block size, count and hooks.
static void configure(LittlefsVolume volume)
{
	struct lfs_config *config = &volume->config;

	config->lock = lockVolume;
	config->unlock = unlockVolume;
	config->read_size = MODDEF_VOLUME_LFS_READ_SIZE;
	config->prog_size = MODDEF_VOLUME_LFS_PROG_SIZE;
	config->cache_size = kCacheSize;
	config->lookahead_size = kLookaheadSize;
	config->block_cycles = MODDEF_VOLUME_LFS_BLOCK_CYCLES;
#ifdef MODDEF_VOLUME_LFS_METADATA_MAX
	// LittleFS's rename and compaction filter a metadata pair's whole log against itself
	// (quadratic in its tags): 4 KiB pairs made each upload's rename of its temporary file
	// cost ~2 M instructions on the host. Smaller pairs cost more blocks of metadata (a pair
	// holds ~13 entries at 1024) and longer chains to walk by name, far less than that.
	// 1024 keeps room for an entry with a name of kVolumeNameMax bytes (a compacted pair
	// must fit half of it). Not stored in the image: any value mounts any image.
	config->metadata_max = MODDEF_VOLUME_LFS_METADATA_MAX;
#endif
	config->read_buffer = volume->readCache;
	config->prog_buffer = volume->progCache;
	config->lookahead_buffer = volume->lookahead;
}

#if MODDEF_VOLUME_IMAGE

VolumeBackend volumeLittlefsMountImage(const char *path, uint32_t size, int32_t *error)
{
	LittlefsVolume volume = newVolume(1);
	uint8_t created;
	int32_t result;

	if (!volume) {
		*error = VOLUME_ENOMEM;
		return NULL;
	}
	result = volumeImageOpen(path, size, &volume->config, &created);
	if (result) {
		c_free(volume);
		*error = result;
		return NULL;
	}
	configure(volume);
	(void)volumeLfsFetchCacheStart(&volume->config);		// without it: slower, the same answers
	if (created) {
		result = toVolumeError(lfs_format(&volume->lfs, &volume->config));
		if (result) {
			volumeLfsFetchCacheStop();
			closeDevice(volume, 1);
			c_free(volume);
			*error = result;
			return NULL;
		}
	}
	// an existing image that does not mount is reported, never formatted: it may hold the
	// only copy of someone's files
	if (lfs_mount(&volume->lfs, &volume->config)) {
		volumeLfsFetchCacheStop();
		closeDevice(volume, created);
		c_free(volume);
		*error = created ? VOLUME_EIO : VOLUME_EFTYPE;
		return NULL;
	}
	gLittlefs = volume;
	return (VolumeBackend)&gLittlefsBackend;
}

#endif

#if kVolumeHasPartition

VolumeBackend volumeLittlefsMountPartition(int32_t *error)
{
	LittlefsVolume volume = newVolume(0);
	int32_t result;

	if (!volume) {
		*error = VOLUME_ENOMEM;
		return NULL;
	}
	result = volumePartitionOpen(&volume->config);
	if (result) {
		c_free(volume);
		*error = result;
		return NULL;
	}
	configure(volume);
	// a partition that does not mount is blank or holds another file system: it is ours
	if (lfs_mount(&volume->lfs, &volume->config)) {
		result = toVolumeError(lfs_format(&volume->lfs, &volume->config));
		if (!result)
			result = toVolumeError(lfs_mount(&volume->lfs, &volume->config));
		if (result) {
			closeDevice(volume, 0);
			c_free(volume);
			*error = result;
			return NULL;
		}
	}
	gLittlefs = volume;
	return (VolumeBackend)&gLittlefsBackend;
}

#endif
