/*
 * The POSIX backend (Linux host only): a folder of the host's file system as the volume.
 *
 * Paths are resolved one component at a time with openat(O_NOFOLLOW) from the root's
 * descriptor, and the last component is checked with fstatat(AT_SYMLINK_NOFOLLOW) before it
 * is used: a symlink anywhere in a path is EACCES, so no path can lead outside the root,
 * whatever links are created in it behind the server's back.
 * Times are the host file system's own (the kernel stamps written files).
 */
#include "volumeBackend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

typedef struct {
	struct VolumeFileRecord base;
	int fd;
} PosixFileRecord, *PosixFile;

typedef struct {
	VolumeDirectoryRecord base;
	DIR *dir;
} PosixDirectoryRecord, *PosixDirectory;

static int gRoot = -1;
static uint8_t gFsync;

static int32_t toVolumeError(int error)
{
	switch (error) {
		case 0: return VOLUME_OK;
		case ENOENT: return VOLUME_ENOENT;
		case EEXIST: return VOLUME_EEXIST;
		case ENOTDIR: return VOLUME_ENOTDIR;
		case EISDIR: return VOLUME_EISDIR;
		case ENOTEMPTY: return VOLUME_ENOTEMPTY;
		case ENOSPC: return VOLUME_ENOSPC;
		case EDQUOT: return VOLUME_ENOSPC;
		case EFBIG: return VOLUME_ENOSPC;
		case ENAMETOOLONG: return VOLUME_ENAMETOOLONG;
		case EINVAL: return VOLUME_EINVAL;
		case ENOMEM: return VOLUME_ENOMEM;
		case EACCES: return VOLUME_EACCES;
		case EPERM: return VOLUME_EACCES;
		case EROFS: return VOLUME_EACCES;
		case ELOOP: return VOLUME_EACCES;
		default: return VOLUME_EIO;
	}
}

// After openat(O_NOFOLLOW) failed on `name`: a symlink is EACCES, whatever errno says
// (ELOOP for files, ENOTDIR with O_DIRECTORY).
static int32_t openError(int dir, const char *name, int error)
{
	struct stat status;

	if (((ELOOP == error) || (ENOTDIR == error)) && !fstatat(dir, name, &status, AT_SYMLINK_NOFOLLOW) && S_ISLNK(status.st_mode))
		return VOLUME_EACCES;
	return toVolumeError(error);
}

static void closeParent(int parent)
{
	if (parent != gRoot)
		close(parent);
}

// Opens the directory holding the last component of `path` (normalised), without following
// any symlink. Returns its descriptor (gRoot itself for the root's entries: release with
// closeParent) and puts the last component in `name` ("" for the root), or returns a negative
// VOLUME_E* code.
static int openParent(const char *path, char *name)
{
	int dir = gRoot;
	const char *component = path + 1;

	while (1) {
		const char *slash = strchr(component, '/');
		size_t length = slash ? (size_t)(slash - component) : strlen(component);
		int next;

		memcpy(name, component, length);
		name[length] = 0;
		if (!slash)
			return dir;
		next = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			int32_t error = openError(dir, name, errno);
			closeParent(dir);
			return error;
		}
		closeParent(dir);
		dir = next;
		component = slash + 1;
	}
}

// The status of `name` in `dir` ("" for the root): EACCES for a symlink and for anything that
// is neither a file nor a directory (a FIFO would block the server; a device is not data).
static int32_t statusOf(int dir, const char *name, struct stat *status)
{
	if (0 == name[0] ? fstat(gRoot, status) : fstatat(dir, name, status, AT_SYMLINK_NOFOLLOW))
		return toVolumeError(errno);
	if (!S_ISREG(status->st_mode) && !S_ISDIR(status->st_mode))
		return VOLUME_EACCES;
	return VOLUME_OK;
}

static void toEntry(const struct stat *status, VolumeEntry entry)
{
	entry->directory = S_ISDIR(status->st_mode) ? 1 : 0;
	entry->size = entry->directory ? 0 : status->st_size;
	entry->mtime = status->st_mtim.tv_sec;
}

/*
	volume
*/

static void posixUnmount(void)
{
	close(gRoot);
	gRoot = -1;
}

static int32_t posixInfo(VolumeInfo info)
{
	struct statvfs status;

	if (fstatvfs(gRoot, &status))
		return toVolumeError(errno);
	info->kind = "posix";
	info->blockSize = (uint32_t)status.f_frsize;
	info->total = (double)status.f_blocks * status.f_frsize;
	info->used = (double)(status.f_blocks - status.f_bfree) * status.f_frsize;
	return VOLUME_OK;
}

static int32_t posixStat(const char *path, VolumeEntry entry)
{
	char name[kVolumeNameMax + 1];
	int dir = openParent(path, name);
	struct stat status;
	int32_t result;

	if (dir < 0)
		return dir;
	result = statusOf(dir, name, &status);
	closeParent(dir);
	if (!result)
		toEntry(&status, entry);
	return result;
}

static int32_t posixMakeDirectory(const char *path, int64_t mtime)
{
	char name[kVolumeNameMax + 1];
	int dir = openParent(path, name);
	int32_t result;

	(void)mtime;		// the host file system stamps it
	if (dir < 0)
		return dir;
	result = (0 == name[0]) ? VOLUME_EEXIST : (mkdirat(dir, name, 0777) ? toVolumeError(errno) : VOLUME_OK);
	closeParent(dir);
	return result;
}

static int32_t posixRemoveDirectory(const char *path)
{
	char name[kVolumeNameMax + 1];
	int dir = openParent(path, name);
	struct stat status;
	int32_t result;

	if (dir < 0)
		return dir;
	if (0 == name[0])
		result = VOLUME_EINVAL;		// the root
	else {
		result = statusOf(dir, name, &status);
		if (!result && !S_ISDIR(status.st_mode))
			result = VOLUME_ENOTDIR;
		if (!result && unlinkat(dir, name, AT_REMOVEDIR))
			result = (EEXIST == errno) ? VOLUME_ENOTEMPTY : toVolumeError(errno);
	}
	closeParent(dir);
	return result;
}

static int32_t posixRemoveFile(const char *path)
{
	char name[kVolumeNameMax + 1];
	int dir = openParent(path, name);
	struct stat status;
	int32_t result;

	if (dir < 0)
		return dir;
	result = statusOf(dir, name, &status);
	if (!result && S_ISDIR(status.st_mode))
		result = VOLUME_EISDIR;
	if (!result && unlinkat(dir, name, 0))
		result = toVolumeError(errno);
	closeParent(dir);
	return result;
}

// rename(2) is atomic and replaces an existing file at `to`.
static int32_t posixRename(const char *from, const char *to)
{
	char fromName[kVolumeNameMax + 1], toName[kVolumeNameMax + 1];
	int fromDir, toDir;
	struct stat status;
	int32_t result;

	fromDir = openParent(from, fromName);
	if (fromDir < 0)
		return fromDir;
	toDir = openParent(to, toName);
	if (toDir < 0) {
		closeParent(fromDir);
		return toDir;
	}
	if ((0 == fromName[0]) || (0 == toName[0]))
		result = VOLUME_EINVAL;		// the root
	else {
		result = statusOf(fromDir, fromName, &status);
		if (!result) {
			// a symlink at `to` would be replaced harmlessly, but is refused like every other use
			int32_t existing = statusOf(toDir, toName, &status);
			if (VOLUME_EACCES == existing)
				result = existing;
		}
		if (!result && renameat(fromDir, fromName, toDir, toName))
			result = (EEXIST == errno) ? VOLUME_ENOTEMPTY : toVolumeError(errno);
	}
	closeParent(fromDir);
	closeParent(toDir);
	return result;
}

static int32_t posixSetTime(const char *path, int64_t mtime)
{
	char name[kVolumeNameMax + 1];
	int dir = openParent(path, name);
	struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = (time_t)mtime}};
	struct stat status;
	int32_t result;

	if (dir < 0)
		return dir;
	result = statusOf(dir, name, &status);
	if (!result) {
		if ((0 == name[0]) ? futimens(gRoot, times) : utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW))
			result = toVolumeError(errno);
	}
	closeParent(dir);
	return result;
}

/*
	files
*/

static VolumeFile posixOpenFile(const char *path, uint8_t mode, int32_t *error)
{
	char name[kVolumeNameMax + 1];
	int dir = openParent(path, name);
	// O_NONBLOCK: opening a FIFO must not block the server before fstat refuses it
	int flags = O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	struct stat status;
	PosixFile file;
	int fd;

	if (dir < 0) {
		*error = dir;
		return NULL;
	}
	if (0 == name[0]) {
		*error = VOLUME_EISDIR;		// the root
		return NULL;
	}
	if ((mode & kVolumeModeRead) && (mode & kVolumeModeWrite))
		flags |= O_RDWR;
	else
		flags |= (mode & kVolumeModeWrite) ? O_WRONLY : O_RDONLY;
	if (mode & kVolumeModeCreate)
		flags |= O_CREAT;
	if (mode & kVolumeModeTruncate)
		flags |= O_TRUNC;
	if (mode & kVolumeModeAppend)
		flags |= O_APPEND;
	fd = openat(dir, name, flags, 0666);
	if (fd < 0)
		*error = openError(dir, name, errno);
	closeParent(dir);
	if (fd < 0)
		return NULL;

	if (fstat(fd, &status))
		*error = toVolumeError(errno);
	else if (S_ISDIR(status.st_mode))
		*error = VOLUME_EISDIR;
	else if (!S_ISREG(status.st_mode))
		*error = VOLUME_EACCES;
	else if (fcntl(fd, F_SETFL, flags & O_APPEND))
		*error = toVolumeError(errno);
	else if (!(file = calloc(1, sizeof(PosixFileRecord))))
		*error = VOLUME_ENOMEM;
	else {
		file->fd = fd;
		return &file->base;
	}
	close(fd);
	return NULL;
}

static int32_t posixReadFile(VolumeFile it, void *buffer, uint32_t size)
{
	PosixFile file = (PosixFile)it;
	ssize_t count;

	do {
		count = read(file->fd, buffer, size);
	} while ((count < 0) && (EINTR == errno));
	return (count < 0) ? toVolumeError(errno) : (int32_t)count;
}

static int32_t posixWriteFile(VolumeFile it, const void *buffer, uint32_t size)
{
	PosixFile file = (PosixFile)it;
	const uint8_t *bytes = buffer;
	uint32_t remaining = size;

	while (remaining) {
		ssize_t count = write(file->fd, bytes, remaining);
		if (count < 0) {
			if (EINTR == errno)
				continue;
			return toVolumeError(errno);
		}
		bytes += count;
		remaining -= count;
	}
	return (int32_t)size;
}

static int64_t posixGetPosition(VolumeFile it)
{
	PosixFile file = (PosixFile)it;
	off_t position = lseek(file->fd, 0, SEEK_CUR);
	return (position < 0) ? toVolumeError(errno) : position;
}

static int64_t posixSetPosition(VolumeFile it, int64_t position)
{
	PosixFile file = (PosixFile)it;
	off_t result = lseek(file->fd, (off_t)position, SEEK_SET);
	return (result < 0) ? toVolumeError(errno) : result;
}

static int64_t posixGetSize(VolumeFile it)
{
	PosixFile file = (PosixFile)it;
	struct stat status;
	if (fstat(file->fd, &status))
		return toVolumeError(errno);
	return status.st_size;
}

static int32_t posixCloseFile(VolumeFile it, int64_t mtime)
{
	PosixFile file = (PosixFile)it;
	int32_t result = VOLUME_OK;

	(void)mtime;		// the kernel stamped each write
	if (gFsync && file->base.written && fdatasync(file->fd))
		result = toVolumeError(errno);
	if (close(file->fd) && !result)
		result = toVolumeError(errno);
	file->fd = -1;
	return result;
}

static int posixDescriptor(VolumeFile it)
{
	return ((PosixFile)it)->fd;
}

/*
	directories
*/

static VolumeDirectory posixOpenDirectory(const char *path, int32_t *error)
{
	char name[kVolumeNameMax + 1];
	int dir = openParent(path, name);
	PosixDirectory directory;
	int fd;

	if (dir < 0) {
		*error = dir;
		return NULL;
	}
	fd = openat(dir, name[0] ? name : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		*error = openError(dir, name, errno);
	closeParent(dir);
	if (fd < 0)
		return NULL;
	directory = calloc(1, sizeof(PosixDirectoryRecord));
	if (directory)
		directory->dir = fdopendir(fd);
	if (!directory || !directory->dir) {
		*error = directory ? toVolumeError(errno) : VOLUME_ENOMEM;
		free(directory);
		close(fd);
		return NULL;
	}
	return &directory->base;
}

static int32_t posixReadDirectory(VolumeDirectory it, VolumeEntry entry)
{
	PosixDirectory directory = (PosixDirectory)it;

	while (1) {
		struct dirent *item;
		struct stat status;

		errno = 0;
		item = readdir(directory->dir);
		if (!item)
			return errno ? toVolumeError(errno) : 0;
		if (!strcmp(item->d_name, ".") || !strcmp(item->d_name, ".."))
			continue;
		// symlinks and special files are not part of the volume; an entry removed since
		// readdir saw it is not either
		if (statusOf(dirfd(directory->dir), item->d_name, &status))
			continue;
		if (strlen(item->d_name) > kVolumeNameMax)
			continue;
		strcpy(entry->name, item->d_name);
		toEntry(&status, entry);
		return 1;
	}
}

static void posixCloseDirectory(VolumeDirectory it)
{
	PosixDirectory directory = (PosixDirectory)it;
	closedir(directory->dir);
	directory->dir = NULL;
}

static const VolumeBackendRecord gPosixBackend = {
	.kind = "posix",
	.unmount = posixUnmount,
	.info = posixInfo,
	.stat = posixStat,
	.makeDirectory = posixMakeDirectory,
	.removeDirectory = posixRemoveDirectory,
	.removeFile = posixRemoveFile,
	.rename = posixRename,
	.setTime = posixSetTime,
	.openFile = posixOpenFile,
	.readFile = posixReadFile,
	.writeFile = posixWriteFile,
	.getPosition = posixGetPosition,
	.setPosition = posixSetPosition,
	.getSize = posixGetSize,
	.closeFile = posixCloseFile,
	.descriptor = posixDescriptor,
	.openDirectory = posixOpenDirectory,
	.readDirectory = posixReadDirectory,
	.closeDirectory = posixCloseDirectory
};

VolumeBackend volumePosixMount(const char *directory, int32_t *error)
{
	const char *fsync = getenv("FTPD_FSYNC");

	// the root itself may be reached through a symlink: it is the operator's choice
	gRoot = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (gRoot < 0) {
		*error = toVolumeError(errno);
		return NULL;
	}
	gFsync = fsync && (0 == strcmp(fsync, "1"));
	return (VolumeBackend)&gPosixBackend;
}
