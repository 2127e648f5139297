/*
 * Block device for the Linux host: a LittleFS image file, 4096-byte blocks, created erased
 * (0xFF) like the flash it stands for (so an image can be written to a device's partition).
 *
 * The image is read through a shared mapping of the whole file: LittleFS reads in small
 * pieces (a file's skip list costs a read per hop, a block at a time), and a pread per piece
 * cost more than the copy.
 *
 * Progs are written with pwrite, gathered: a prog that continues the one before is added to a
 * buffer of kGatherSize bytes, written to the file in one pwrite when the next prog does not
 * continue it, when it is full, before LittleFS's sync (every commit), and before any read
 * that overlaps it only in part (a read inside it is answered from it). So the file always
 * holds a prefix of the progs LittleFS made, in order, and all of them at each sync: a
 * process killed in between leaves the image as a power loss at that point would, which
 * LittleFS is made to survive. Stores into the mapping did the same with a page fault per
 * 4 KiB page whenever the page was clean (the kernel write-protects a shared mapping's pages
 * once it has written them back, about 30 s after they were dirtied, so that the next store
 * faults and marks them dirty again): STOR 16 MiB to a long-running server cost 13.9 ms of
 * CPU that way, against 3.5 ms with every page still dirty. msync and fdatasync on
 * LittleFS's sync, for power loss of the host itself, only with FTPD_FSYNC=1: it costs a disk
 * flush per commit.
 *
 * The mapping's hazard is the file shrinking under us (the flock keeps out other servers, not
 * `truncate` or an editor): touching a page past the new end raises SIGBUS, which would kill
 * the server. The size is checked at mount (an image is whole blocks, and is mapped at the
 * size it has then); after that, a SIGBUS inside the mapping is caught: the handler maps a
 * private page of zeros over the faulting page so the copy finishes (a read gets zeros), and
 * marks the image failed. A pwrite past the end would grow the file again instead: each
 * gathered write first checks the file's size (fstat), and a shrunk file marks the image
 * failed too.
 * From then on every read, prog and erase is LFS_ERR_IO (EIO to clients) until the image is
 * mounted again, and nothing more is stored. A
 * SIGBUS anywhere else goes to whoever handled it before (by default, the process dies).
 *
 * Downloads send file bytes straight from the mapping (volumeImageMemory, through
 * volumeReadInPlace, which writes what is gathered first): the kernel copies them into the
 * socket, and a page gone with a truncation fails that copy with EFAULT (no SIGBUS), which
 * the sender reports as EIO.
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
// Progs gathered into one pwrite: a 16 MiB upload's blocks are mostly consecutive.
#define kGatherSize (256 * 1024)

typedef struct {
	int fd;
	uint8_t fsync;
	uint8_t *map;
	size_t size;
	uint8_t *gathered;			// kGatherSize bytes: the progs not yet written, from gatheredAt
	off_t gatheredAt;
	size_t gatheredSize;
	char path[1];
} ImageRecord, *Image;

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

// Writes the gathered progs to the file, unless it has shrunk (see the top of this file).
static int writeGathered(Image image)
{
	struct stat status;
	int result;

	if (!image->gatheredSize)
		return gTruncated ? LFS_ERR_IO : LFS_ERR_OK;
	if (!gTruncated && (fstat(image->fd, &status) || (status.st_size < (off_t)image->size)))
		gTruncated = 1;
	if (gTruncated)
		return LFS_ERR_IO;
	result = writeAll(image->fd, image->gathered, image->gatheredSize, image->gatheredAt);
	image->gatheredSize = 0;
	if (result)
		gTruncated = 1;		// a prog is lost: nothing after it may be stored
	return result;
}

// A read of bytes that are gathered, some or all (out of imageRead, which runs thousands of
// times per download).
static __attribute__((noinline)) int readGathered(Image image, off_t at, void *buffer, lfs_size_t size)
{
	if ((at >= image->gatheredAt) && (at + (off_t)size <= image->gatheredAt + (off_t)image->gatheredSize)) {
		// a prog not yet written (a file's skip list reads the block before)
		memcpy(buffer, image->gathered + (at - image->gatheredAt), size);
		return LFS_ERR_OK;
	}
	if (writeGathered(image))
		return LFS_ERR_IO;
	memcpy(buffer, image->map + at, size);
	return gTruncated ? LFS_ERR_IO : LFS_ERR_OK;
}

static int imageRead(const struct lfs_config *config, lfs_block_t block, lfs_off_t offset, void *buffer, lfs_size_t size)
{
	Image image = config->context;
	off_t at;

	if (gTruncated)
		return LFS_ERR_IO;
	// lfs_bd_read has checked block and offset against the geometry, which is the mapping's
	at = blockOffset(config, block, offset);
	if (image->gatheredSize && (at < image->gatheredAt + (off_t)image->gatheredSize) && (at + (off_t)size > image->gatheredAt))
		return readGathered(image, at, buffer, size);
	memcpy(buffer, image->map + at, size);
	return gTruncated ? LFS_ERR_IO : LFS_ERR_OK;
}

static int imageProg(const struct lfs_config *config, lfs_block_t block, lfs_off_t offset, const void *buffer, lfs_size_t size)
{
	Image image = config->context;
	off_t at = blockOffset(config, block, offset);

	if (gTruncated)
		return LFS_ERR_IO;
	// lfs_bd_prog has checked block and offset against the geometry, which is the mapping's
	if (image->gatheredSize && ((at != image->gatheredAt + (off_t)image->gatheredSize) || (image->gatheredSize + size > kGatherSize))) {
		if (writeGathered(image))
			return LFS_ERR_IO;
	}
	if (size > kGatherSize)
		return LFS_ERR_INVAL;		// never: LittleFS programs at most its cache, at most a block
	if (!image->gatheredSize)
		image->gatheredAt = at;
	memcpy(image->gathered + image->gatheredSize, buffer, size);
	image->gatheredSize += size;
	return LFS_ERR_OK;
}

static int imageErase(const struct lfs_config *config, lfs_block_t block)
{
	(void)block;
	return gTruncated ? LFS_ERR_IO : LFS_ERR_OK;
}

static int imageSync(const struct lfs_config *config)
{
	Image image = config->context;
	if (writeGathered(image))
		return LFS_ERR_IO;
	if (image->fsync && (msync(image->map, image->size, MS_SYNC) || fdatasync(image->fd)))
		return LFS_ERR_IO;
	return LFS_ERR_OK;
}

// Fills a new image with 0xFF, kGatherSize bytes per write (through the gathering buffer,
// still unused). Later writes into pages made this way cost less than into pages made 4 KiB
// at a time: server CPU per STOR 16 MiB on a new image, median of 15, 7.5 against 10.0 ms
// with every page clean, 4.3 to 5.3 against 6.1 to 6.4 ms with them dirty.
static int32_t createErased(Image image, uint32_t size)
{
	uint32_t offset, count;

	memset(image->gathered, 0xFF, kGatherSize);
	for (offset = 0; offset < size; offset += count) {
		count = ((size - offset) < kGatherSize) ? (size - offset) : kGatherSize;
		if (writeAll(image->fd, image->gathered, count, offset))
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

	if (image) {
		image->gathered = malloc(kGatherSize);
		if (!image->gathered) {
			free(image);
			image = NULL;
		}
	}
	if (!image)
		return VOLUME_ENOMEM;
	memcpy(image->path, path, length + 1);
	image->fsync = fsync && (0 == strcmp(fsync, "1"));
	*created = 0;

	image->fd = open(path, O_RDWR | O_CLOEXEC);
	if ((image->fd < 0) && (ENOENT == errno)) {
		// LittleFS needs two blocks for its superblock pair and one for the root's data
		if ((size % kBlockSize) || (size < (3 * kBlockSize))) {
			free(image->gathered);
			free(image);
			return VOLUME_EINVAL;
		}
		image->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		*created = image->fd >= 0;
	}
	if (image->fd < 0) {
		result = toVolumeError(errno);
		free(image->gathered);
		free(image);
		return result;
	}
	// two processes writing one image would corrupt it
	if (flock(image->fd, LOCK_EX | LOCK_NB))
		result = (EWOULDBLOCK == errno) ? VOLUME_EBUSY : VOLUME_EIO;
	else if (*created)
		result = createErased(image, size);
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
		image->map = mmap(NULL, size, PROT_READ, MAP_SHARED, image->fd, 0);		// progs are written with pwrite
		if (MAP_FAILED == image->map) {
			image->map = NULL;
			result = (ENOMEM == errno) ? VOLUME_ENOMEM : VOLUME_EIO;
		}
	}
	if (result) {
		close(image->fd);
		if (*created)
			unlink(image->path);
		free(image->gathered);
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
	if (image->gatheredSize && writeGathered(image))
		return NULL;
	return gTruncated ? NULL : image->map;
}

void volumeImageClose(const struct lfs_config *config, uint8_t discard)
{
	Image image = config->context;

	if (!image)
		return;
	writeGathered(image);		// LittleFS synced at its last commit: normally nothing is left
	gGuardedMap = NULL;
	munmap(image->map, image->size);
	close(image->fd);		// releases the flock
	if (discard)
		unlink(image->path);
	free(image->gathered);
	free(image);
}
