/*
 * Block device for the Linux host: a LittleFS image file, 4096-byte blocks, erased = 0xFF
 * like the flash it stands for (so an image can be written to a device's partition).
 *
 * Every prog and erase is written to the file before LittleFS goes on (write-through):
 * LittleFS is power-loss safe as long as each prog it finished reached the device, and the
 * kernel keeps what reached the file when the process is killed. fdatasync on LittleFS's
 * sync, for power loss of the host itself, only with FTPD_FSYNC=1: it costs a disk flush
 * per commit.
 */
#include "volumeDevice.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define kBlockSize (4096)

typedef struct {
	int fd;
	uint8_t fsync;
	char path[1];
} ImageRecord, *Image;

// An erased block, filled by volumeImageOpen.
static uint8_t gErased[kBlockSize];

static int writeAll(int fd, const void *buffer, size_t size, off_t offset)
{
	const uint8_t *bytes = buffer;

	while (size) {
		ssize_t written = pwrite(fd, bytes, size, offset);
		if (written < 0) {
			if (EINTR == errno)
				continue;
			return LFS_ERR_IO;
		}
		bytes += written;
		offset += written;
		size -= written;
	}
	return LFS_ERR_OK;
}

static off_t blockOffset(const struct lfs_config *config, lfs_block_t block, lfs_off_t offset)
{
	return ((off_t)block * config->block_size) + offset;
}

static int imageRead(const struct lfs_config *config, lfs_block_t block, lfs_off_t offset, void *buffer, lfs_size_t size)
{
	Image image = config->context;
	uint8_t *bytes = buffer;
	off_t at = blockOffset(config, block, offset);

	while (size) {
		ssize_t count = pread(image->fd, bytes, size, at);
		if (count < 0) {
			if (EINTR == errno)
				continue;
			return LFS_ERR_IO;
		}
		if (0 == count)
			return LFS_ERR_IO;		// past the end: the image was truncated under us
		bytes += count;
		at += count;
		size -= count;
	}
	return LFS_ERR_OK;
}

static int imageProg(const struct lfs_config *config, lfs_block_t block, lfs_off_t offset, const void *buffer, lfs_size_t size)
{
	Image image = config->context;
	return writeAll(image->fd, buffer, size, blockOffset(config, block, offset));
}

static int imageErase(const struct lfs_config *config, lfs_block_t block)
{
	Image image = config->context;
	return writeAll(image->fd, gErased, kBlockSize, blockOffset(config, block, 0));
}

static int imageSync(const struct lfs_config *config)
{
	Image image = config->context;
	if (image->fsync && fdatasync(image->fd))
		return LFS_ERR_IO;
	return LFS_ERR_OK;
}

static int32_t createErased(int fd, uint32_t size)
{
	uint32_t offset;

	for (offset = 0; offset < size; offset += kBlockSize) {
		if (writeAll(fd, gErased, kBlockSize, offset))
			return (ENOSPC == errno) ? VOLUME_ENOSPC : VOLUME_EIO;
	}
	return VOLUME_OK;
}

static int32_t toVolumeError(int error)
{
	switch (error) {
		case ENOENT: return VOLUME_ENOENT;
		case ENOTDIR: return VOLUME_ENOTDIR;
		case EISDIR: return VOLUME_EISDIR;
		case EACCES: return VOLUME_EACCES;
		case EPERM: return VOLUME_EACCES;
		case ENAMETOOLONG: return VOLUME_ENAMETOOLONG;
		case ENOSPC: return VOLUME_ENOSPC;
		default: return VOLUME_EIO;
	}
}

int32_t volumeImageOpen(const char *path, uint32_t size, struct lfs_config *config, uint8_t *created)
{
	size_t length = strlen(path);
	Image image = calloc(1, sizeof(ImageRecord) + length);
	const char *fsync = getenv("FTPD_FSYNC");
	struct stat status;
	int32_t result = VOLUME_OK;

	if (!image)
		return VOLUME_ENOMEM;
	memset(gErased, 0xFF, sizeof(gErased));
	memcpy(image->path, path, length + 1);
	image->fsync = fsync && (0 == strcmp(fsync, "1"));
	*created = 0;

	image->fd = open(path, O_RDWR | O_CLOEXEC);
	if ((image->fd < 0) && (ENOENT == errno)) {
		// LittleFS needs two blocks for its superblock pair and one for the root's data
		if ((size % kBlockSize) || (size < (3 * kBlockSize))) {
			free(image);
			return VOLUME_EINVAL;
		}
		image->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		*created = image->fd >= 0;
	}
	if (image->fd < 0) {
		result = toVolumeError(errno);
		free(image);
		return result;
	}
	// two processes writing one image would corrupt it
	if (flock(image->fd, LOCK_EX | LOCK_NB))
		result = (EWOULDBLOCK == errno) ? VOLUME_EACCES : VOLUME_EIO;
	else if (*created)
		result = createErased(image->fd, size);
	else if (fstat(image->fd, &status))
		result = VOLUME_EIO;
	else if (!S_ISREG(status.st_mode))
		result = VOLUME_EINVAL;
	else if ((status.st_size % kBlockSize) || (status.st_size < (3 * kBlockSize)) || (status.st_size > 0xFFFFF000))
		result = VOLUME_EIO;		// not an image this volume wrote
	else
		size = (uint32_t)status.st_size;
	if (result) {
		close(image->fd);
		if (*created)
			unlink(image->path);
		free(image);
		*created = 0;
		return result;
	}

	config->context = image;
	config->read = imageRead;
	config->prog = imageProg;
	config->erase = imageErase;
	config->sync = imageSync;
	config->block_size = kBlockSize;
	config->block_count = size / kBlockSize;
	return VOLUME_OK;
}

void volumeImageClose(const struct lfs_config *config, uint8_t discard)
{
	Image image = config->context;

	if (!image)
		return;
	close(image->fd);		// releases the flock
	if (discard)
		unlink(image->path);
	free(image);
}
