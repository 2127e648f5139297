/*
 * An in-memory volume behind modules/volume/volume.h, for the loopback test: files are byte
 * arrays, a write can be made slow (a flash that holds the sender back) or fail with ENOSPC, and
 * a hook sees each read and write so the test can check how far ahead of the network the
 * backend reads and how far the network runs ahead of what is written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake.h"
#include "../../modules/volume/volume.h"

typedef struct FakeFileRecord {
	struct FakeFileRecord *next;
	char path[128];
	uint8_t *bytes;
	uint32_t size;
	uint32_t capacity;
} FakeFileRecord, *FakeFile;

struct VolumeFileRecord {
	FakeFile file;
	uint32_t position;
	uint8_t writing;
};

static FakeFile gFiles = NULL;
static int gOpen = 0;
static int gWriteDelay = 0;
static uint32_t gCapacity = 0;
static FakeVolumeHook gHook = NULL;

static FakeFile fileFind(const char *path, int create)
{
	FakeFile file;

	for (file = gFiles; file; file = file->next) {
		if (!strcmp(file->path, path))
			return file;
	}
	if (!create)
		return NULL;
	file = calloc(1, sizeof(FakeFileRecord));
	if (!file)
		abort();
	snprintf(file->path, sizeof(file->path), "%s", path);
	file->next = gFiles;
	gFiles = file;
	return file;
}

static void fileReserve(FakeFile file, uint32_t size)
{
	if (size <= file->capacity)
		return;
	file->capacity = (size > (file->capacity * 2)) ? size : (file->capacity * 2);
	file->bytes = realloc(file->bytes, file->capacity);
	if (!file->bytes)
		abort();
}

void fakeVolumePut(const char *path, const void *bytes, uint32_t length)
{
	FakeFile file = fileFind(path, 1);

	fileReserve(file, length);
	if (length)
		memcpy(file->bytes, bytes, length);
	file->size = length;
}

const uint8_t *fakeVolumeGet(const char *path, uint32_t *length)
{
	FakeFile file = fileFind(path, 0);

	if (!file)
		return NULL;
	*length = file->size;
	return file->bytes ? file->bytes : (const uint8_t *)"";
}

void fakeVolumeSetWriteDelay(int microseconds)
{
	gWriteDelay = microseconds;
}

void fakeVolumeSetCapacity(uint32_t bytes)
{
	gCapacity = bytes;
}

void fakeVolumeSetHook(FakeVolumeHook hook)
{
	gHook = hook;
}

int fakeVolumeOpenFiles(void)
{
	return gOpen;
}

VolumeFile volumeOpenRead(const char *path, uint32_t offset, int *error)
{
	FakeFile file;
	VolumeFile result;

	fakeCheckThread("volumeOpenRead");
	file = fileFind(path, 0);
	if (!file) {
		*error = VOLUME_ENOENT;
		return NULL;
	}
	result = calloc(1, sizeof(struct VolumeFileRecord));
	if (!result)
		abort();
	result->file = file;
	result->position = offset;
	gOpen++;
	return result;
}

VolumeFile volumeOpenWrite(const char *path, int append, uint32_t offset, int *error)
{
	FakeFile file;
	VolumeFile result;

	fakeCheckThread("volumeOpenWrite");
	file = fileFind(path, 1);
	if (!append && !offset)
		file->size = 0;
	else if (!append && (offset > file->size)) {
		*error = VOLUME_EINVAL;
		return NULL;
	}
	result = calloc(1, sizeof(struct VolumeFileRecord));
	if (!result)
		abort();
	result->file = file;
	result->position = append ? file->size : offset;
	result->writing = 1;
	gOpen++;
	return result;
}

int64_t volumeSize(VolumeFile file)
{
	fakeCheckThread("volumeSize");
	return file->file->size;
}

int32_t volumeSeek(VolumeFile file, uint32_t offset)
{
	fakeCheckThread("volumeSeek");
	file->position = offset;
	return VOLUME_OK;
}

int32_t volumeRead(VolumeFile file, void *buffer, uint32_t size)
{
	uint32_t available;

	fakeCheckThread("volumeRead");
	if (file->writing)
		return VOLUME_EINVAL;
	if (gHook)
		(*gHook)(0, size, file->position);
	available = (file->position < file->file->size) ? (file->file->size - file->position) : 0;
	if (size > available)
		size = available;
	if (size)		// an empty file has no bytes at all
		memcpy(buffer, file->file->bytes + file->position, size);
	file->position += size;
	return (int32_t)size;
}

int32_t volumeWrite(VolumeFile file, const void *buffer, uint32_t size)
{
	fakeCheckThread("volumeWrite");
	if (!file->writing)
		return VOLUME_EINVAL;
	if (gHook)
		(*gHook)(1, size, file->position);
	if (gCapacity && ((file->position + size) > gCapacity))
		return VOLUME_ENOSPC;
	if (gWriteDelay)
		usleep((useconds_t)gWriteDelay);
	fileReserve(file->file, file->position + size);
	memcpy(file->file->bytes + file->position, buffer, size);
	file->position += size;
	if (file->position > file->file->size)
		file->file->size = file->position;
	return (int32_t)size;
}

int32_t volumeClose(VolumeFile file)
{
	fakeCheckThread("volumeClose");
	free(file);
	gOpen--;
	return 0;
}

int volumeDescriptor(VolumeFile file)
{
	(void)file;
	return -1;
}

const char *volumeErrorName(int32_t code)
{
	switch (code) {
		case VOLUME_OK: return "OK";
		case VOLUME_ENOENT: return "ENOENT";
		case VOLUME_EEXIST: return "EEXIST";
		case VOLUME_ENOSPC: return "ENOSPC";
		case VOLUME_EINVAL: return "EINVAL";
		case VOLUME_ENOMEM: return "ENOMEM";
		default: return "EIO";
	}
}

// Directories (native listings): the files whose path is `path` + "/" + a name without "/",
// newest first (the order the list keeps), each with size and a fixed time.
struct VolumeDirectoryRecord {
	char path[128];
	FakeFile next;
};

struct VolumeDirectoryRecord *volumeOpenDirectory(const char *path, int32_t *error)
{
	struct VolumeDirectoryRecord *directory;

	fakeCheckThread("volumeOpenDirectory");
	directory = calloc(1, sizeof(struct VolumeDirectoryRecord));
	if (!directory)
		abort();
	snprintf(directory->path, sizeof(directory->path), "%s", path);
	directory->next = gFiles;
	gOpen++;
	*error = VOLUME_OK;
	return directory;
}

int32_t volumeReadDirectory(struct VolumeDirectoryRecord *directory, VolumeDirectoryEntry *entry)
{
	size_t length = strlen(directory->path);

	fakeCheckThread("volumeReadDirectory");
	while (directory->next) {
		FakeFile file = directory->next;
		directory->next = file->next;
		if (strncmp(file->path, directory->path, length) || ('/' != file->path[length]) || strchr(file->path + length + 1, '/'))
			continue;
		snprintf(entry->name, sizeof(entry->name), "%s", file->path + length + 1);
		entry->size = file->size;
		entry->mtime = kFakeVolumeTime;
		entry->directory = 0;
		return 1;
	}
	return 0;
}

void volumeCloseDirectory(struct VolumeDirectoryRecord *directory)
{
	fakeCheckThread("volumeCloseDirectory");
	gOpen--;
	free(directory);
}
