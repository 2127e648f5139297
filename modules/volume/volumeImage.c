/*
 * Block device for the Linux host: a LittleFS image file, 4096-byte blocks, created erased
 * (0xFF) like the flash it stands for (so an image can be written to a device's partition).
 *
 * The image is used through a shared mapping of the whole file. Every prog is stored into
 * the file's pages before LittleFS goes on (write-through to the page cache, as a pwrite
 * would be, without a system call per 4 KiB block): LittleFS is power-loss safe as long as
 * each prog it finished reached the device, and the kernel keeps a shared mapping's stores
 * when the process is killed. msync and fdatasync on LittleFS's sync, for power loss of the
 * host itself, only with FTPD_FSYNC=1: it costs a disk flush per commit.
 *
 * Reads come from the same mapping: LittleFS reads in small pieces (a file's skip list costs
 * a read per hop, a block at a time), and a pread per piece cost more than the copy.
 *
 * The mapping's hazard is the file shrinking under us (the flock keeps out other servers, not
 * `truncate` or an editor): touching a page past the new end raises SIGBUS, which would kill
 * the server. The size is checked at mount (an image is whole blocks, and is mapped at the
 * size it has then); after that, a SIGBUS inside the mapping is caught: the handler maps a
 * private page of zeros over the faulting page so the copy finishes (a read gets zeros, a
 * store goes nowhere), and marks the image failed.
 * From then on every read, prog and erase is LFS_ERR_IO (EIO to clients) until the image is
 * mounted again, and nothing more is stored. A
 * SIGBUS anywhere else goes to whoever handled it before (by default, the process dies).
 *
 * Downloads send file bytes straight from the mapping (volumeImageMemory, through
 * volumeReadInPlace): the kernel copies them into the socket, and a page gone with a
 * truncation fails that copy with EFAULT (no SIGBUS), which the sender reports as EIO.
 *
 * Erase writes nothing. LittleFS never relies on what an erased block holds (lfs.h: "the
 * state of an erased block is undefined"; its own file block device skips erases when its
 * erase_value is -1, and its tests run that way): a commit's CRC tag records whether the
 * next program unit reads as valid, so stale bytes after the last commit are never taken
 * for one. Writing 4 KiB of 0xFF before each block is programmed doubled the bytes written
 * by an upload.
 */
#include "volumeDevice.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define kBlockSize (4096)

typedef struct {
	int fd;
	uint8_t fsync;
	uint8_t *map;
	size_t size;
	char path[1];
} ImageRecord, *Image;

// An erased block, filled by volumeImageOpen.
static uint8_t gErased[kBlockSize];

// The mapping the SIGBUS handler guards (one image is mounted at a time), and its verdict.
static uint8_t *volatile gGuardedMap;
static volatile size_t gGuardedSize;
static volatile sig_atomic_t gTruncated;
static struct sigaction gPreviousBus;
static uint8_t gBusHandled;
static long gPageSize;

static void onBus(int signal, siginfo_t *info, void *context)
{
	uint8_t *address = info->si_addr;
	uint8_t *map = gGuardedMap;

	if (map && (address >= map) && (address < map + gGuardedSize)) {
		uint8_t *page = (uint8_t *)((uintptr_t)address & ~(uintptr_t)(gPageSize - 1));
		gTruncated = 1;
		// mmap is not on the async-signal-safe list, but it is a plain system call on Linux
		if (MAP_FAILED != mmap(page, gPageSize, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
			return;		// the faulting copy goes on, reading zeros
	}
	// not ours (or no way to recover): as if we had never handled it
	sigaction(SIGBUS, &gPreviousBus, NULL);
	if ((gPreviousBus.sa_flags & SA_SIGINFO) && gPreviousBus.sa_sigaction)
		gPreviousBus.sa_sigaction(signal, info, context);
	else if ((SIG_DFL != gPreviousBus.sa_handler) && (SIG_IGN != gPreviousBus.sa_handler))
		gPreviousBus.sa_handler(signal);
	// SIG_DFL: returning re-runs the faulting access, which now kills the process
}

static int guardBus(void)
{
	struct sigaction action;

	if (gBusHandled)
		return 0;
	memset(&action, 0, sizeof(action));
	action.sa_sigaction = onBus;
	action.sa_flags = SA_SIGINFO;
	sigemptyset(&action.sa_mask);
	if (sigaction(SIGBUS, &action, &gPreviousBus))
		return -1;
	gBusHandled = 1;
	return 0;
}

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

	if (gTruncated)
		return LFS_ERR_IO;
	// lfs_bd_read has checked block and offset against the geometry, which is the mapping's
	memcpy(buffer, image->map + blockOffset(config, block, offset), size);
	return gTruncated ? LFS_ERR_IO : LFS_ERR_OK;
}

static int imageProg(const struct lfs_config *config, lfs_block_t block, lfs_off_t offset, const void *buffer, lfs_size_t size)
{
	Image image = config->context;
	if (gTruncated)
		return LFS_ERR_IO;
	// lfs_bd_prog has checked block and offset against the geometry, which is the mapping's
	memcpy(image->map + blockOffset(config, block, offset), buffer, size);
	return gTruncated ? LFS_ERR_IO : LFS_ERR_OK;
}

static int imageErase(const struct lfs_config *config, lfs_block_t block)
{
	(void)block;
	return gTruncated ? LFS_ERR_IO : LFS_ERR_OK;
}

static int imageSync(const struct lfs_config *config)
{
	Image image = config->context;
	if (gTruncated)
		return LFS_ERR_IO;
	if (image->fsync && (msync(image->map, image->size, MS_SYNC) || fdatasync(image->fd)))
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
		result = (EWOULDBLOCK == errno) ? VOLUME_EBUSY : VOLUME_EIO;
	else if (*created)
		result = createErased(image->fd, size);
	else if (fstat(image->fd, &status))
		result = VOLUME_EIO;
	else if (!S_ISREG(status.st_mode))
		result = VOLUME_EINVAL;
	else if ((status.st_size % kBlockSize) || (status.st_size < (3 * kBlockSize)) || (status.st_size > 0xFFFFF000))
		result = VOLUME_EFTYPE;		// not an image this volume wrote
	else
		size = (uint32_t)status.st_size;
	if (!result && guardBus())
		result = VOLUME_EIO;
	if (!result) {
		image->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, image->fd, 0);
		if (MAP_FAILED == image->map) {
			image->map = NULL;
			result = (ENOMEM == errno) ? VOLUME_ENOMEM : VOLUME_EIO;
		}
	}
	if (result) {
		close(image->fd);
		if (*created)
			unlink(image->path);
		free(image);
		*created = 0;
		return result;
	}

	image->size = size;
	gPageSize = sysconf(_SC_PAGESIZE);
	gTruncated = 0;
	gGuardedSize = size;
	gGuardedMap = image->map;

	config->context = image;
	config->read = imageRead;
	config->prog = imageProg;
	config->erase = imageErase;
	config->sync = imageSync;
	config->block_size = kBlockSize;
	config->block_count = size / kBlockSize;
	return VOLUME_OK;
}

const uint8_t *volumeImageMemory(const struct lfs_config *config)
{
	Image image = config->context;
	return gTruncated ? NULL : image->map;
}

void volumeImageClose(const struct lfs_config *config, uint8_t discard)
{
	Image image = config->context;

	if (!image)
		return;
	gGuardedMap = NULL;
	munmap(image->map, image->size);
	close(image->fd);		// releases the flock
	if (discard)
		unlink(image->path);
	free(image);
}
