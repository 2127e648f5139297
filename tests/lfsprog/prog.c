/*
 * One workload of LittleFS on an image file (modules/volume/volumeImage.c, the Linux host's
 * block device), built twice by tests/lfsprog.test.js: over the SDK's lfs.c as it is, and over
 * modules/volume/volumeLfs.c with the host's replacements (padding filled where a program
 * needs it, the read-back compared in place, cached reads and compares). Both must leave the
 * same image, byte for byte, and read every file back as written.
 *
 * The workload is the volume's own way of using LittleFS, with the host's geometry: files of
 * many sizes written in uneven pieces (with syncs between some), each with the time attribute
 * committed at close; replacements through a temporary and a rename; appends, overwrites in
 * the middle, truncations, removals; a directory with more entries than a 1 KiB metadata pair
 * holds; enough commits to one pair for LittleFS to relocate it (block_cycles), and more bytes
 * written than the image holds, so the allocator wraps. Then a remount and a check of every
 * file. Prints "ok" with the files, their bytes and the erases, or the first failure (exit
 * status 1).
 *
 *   prog IMAGE
 */
#include <stdio.h>
#include <stdlib.h>
#include "lfs.h"
#include "volumeDevice.h"
#if defined(MODDEF_VOLUME_LFS_COMPARE) || defined(MODDEF_VOLUME_LFS_WALK_TAGS)
	#include "volumeLfs.h"		// ours: its counters
#endif
#ifdef MODDEF_VOLUME_LFS_COMPARE
	// the fetch cache, started at each mount as the volume does
	#define startCache() CHECK(0 == volumeLfsFetchCacheStart(&gConfig), "fetch cache", 0)
	#define stopCache() volumeLfsFetchCacheStop()
#else
	#define startCache()
	#define stopCache()
#endif

// The geometry: the host's by default; the test also builds the devices' (a smaller read and
// prog cache, whose LittleFS reads a log through it piece by piece, and logs as large as a
// block: no metadata_max)
#ifndef PROG_CACHE
	#define PROG_CACHE (4096)
#endif
#ifndef PROG_METADATA_MAX
	#define PROG_METADATA_MAX (1024)
#endif

#define kImageSize (8 * 1024 * 1024)
#define kFiles (48)
#define kLargest (400 * 1024)
#define kTimeType (0x74)
// A pair is compacted when its log is full (about 50 of these commits per KiB), and relocated
// at every 501st compaction (block_cycles 500): this makes two relocations.
#define kAttributeCommits (60 * (PROG_METADATA_MAX ? PROG_METADATA_MAX : 4096))

static lfs_t gLfs;
static struct lfs_config gConfig;
static uint32_t gLookahead[512 / 4];
static uint8_t gReadCache[PROG_CACHE], gProgCache[PROG_CACHE], gFileCache[PROG_CACHE];
static uint8_t *gData[kFiles];
static lfs_size_t gSize[kFiles];
static uint64_t gState = 0x2545F4914F6CDD1Dull;
static long gErases;
static int (*gErase)(const struct lfs_config *config, lfs_block_t block);

// Counts the erases: more than the image has blocks means the allocator wrapped around.
static int countErase(const struct lfs_config *config, lfs_block_t block)
{
	gErases++;
	return gErase(config, block);
}

static uint32_t next(void)
{
	gState ^= gState << 13;
	gState ^= gState >> 7;
	gState ^= gState << 17;
	return (uint32_t)(gState >> 16);
}

static int failed(const char *what, long line, long value)
{
	printf("not ok: %s (prog.c:%ld, %ld)\n", what, line, value);
	exit(1);
}
#define CHECK(condition, what, value) do { if (!(condition)) failed(what, __LINE__, (long)(value)); } while (0)

static int lockVolume(const struct lfs_config *config) { (void)config; return 0; }

static void name(char *buffer, const char *folder, int i)
{
	snprintf(buffer, 64, "%s/file-%03d.bin", folder, i);
}

// Opens `path` with the time attribute as the volume does (committed by the close).
static void openFile(lfs_file_t *file, const char *path, int flags, uint8_t *time, struct lfs_file_config *config, struct lfs_attr *attribute)
{
	int error;
	attribute->type = kTimeType;
	attribute->buffer = time;
	attribute->size = 8;
	memset(config, 0, sizeof(*config));
	config->buffer = gFileCache;
	config->attrs = attribute;
	config->attr_count = 1;
	error = lfs_file_opencfg(&gLfs, file, path, flags, config);
	CHECK(0 == error, "open", error);
}

// Writes `size` bytes in uneven pieces, syncing now and then.
static void writePieces(lfs_file_t *file, const uint8_t *bytes, lfs_size_t size)
{
	lfs_size_t done = 0;
	while (done < size) {
		lfs_size_t piece = (next() & 1) ? (1 + next() % 70000) : (1 + next() % 300);
		lfs_ssize_t written;
		if (piece > size - done)
			piece = size - done;
		written = lfs_file_write(&gLfs, file, bytes + done, piece);
		CHECK((lfs_ssize_t)piece == written, "write", written);
		done += piece;
		if (0 == next() % 23)
			CHECK(0 == lfs_file_sync(&gLfs, file), "sync", 0);
	}
}

static lfs_size_t pickSize(void)
{
	static const lfs_size_t edges[] = {0, 1, 15, 16, 17, 100, 1000, 4079, 4080, 4095, 4096, 4097, 8192, 12289};
	uint32_t choice = next() % 4;
	if (0 == choice)
		return edges[next() % (sizeof(edges) / sizeof(edges[0]))];
	if (1 == choice)
		return next() % 2000;
	return next() % kLargest;
}

static void fill(uint8_t *bytes, lfs_size_t size)
{
	lfs_size_t i;
	for (i = 0; i < size; i++)
		bytes[i] = (uint8_t)next();
}

// A new content for file i, written as STOR does: to a temporary, then renamed over it.
static void replace(int i)
{
	char path[64], temporary[64];
	uint8_t time[8];
	struct lfs_file_config config;
	struct lfs_attr attribute;
	lfs_file_t file;
	lfs_size_t size = pickSize();
	uint8_t *bytes = malloc(size + 1);
	int error;

	fill(bytes, size);
	fill(time, sizeof(time));
	name(path, "d", i);
	snprintf(temporary, sizeof(temporary), "d/.part-%d", i);
	openFile(&file, temporary, LFS_O_RDWR | LFS_O_CREAT | LFS_O_TRUNC, time, &config, &attribute);
	writePieces(&file, bytes, size);
	CHECK(0 == lfs_file_close(&gLfs, &file), "close", 0);
	error = lfs_rename(&gLfs, temporary, path);
	CHECK(0 == error, "rename", error);
	free(gData[i]);
	gData[i] = bytes;
	gSize[i] = size;
}

// Appends, overwrites in the middle, or truncates file i in place.
static void change(int i)
{
	char path[64];
	uint8_t time[8];
	struct lfs_file_config config;
	struct lfs_attr attribute;
	lfs_file_t file;
	uint32_t kind = next() % 3;
	lfs_size_t size = gSize[i], at, count;

	name(path, "d", i);
	fill(time, sizeof(time));
	if (0 == kind) {
		count = next() % 9000;
		gData[i] = realloc(gData[i], size + count + 1);
		fill(gData[i] + size, count);
		openFile(&file, path, LFS_O_RDWR | LFS_O_APPEND, time, &config, &attribute);
		writePieces(&file, gData[i] + size, count);
		gSize[i] = size + count;
	}
	else if ((1 == kind) && size) {
		at = next() % size;
		count = next() % (size - at + 1);
		fill(gData[i] + at, count);
		openFile(&file, path, LFS_O_RDWR, time, &config, &attribute);
		CHECK((lfs_soff_t)at == lfs_file_seek(&gLfs, &file, at, LFS_SEEK_SET), "seek", at);
		writePieces(&file, gData[i] + at, count);
	}
	else {
		count = next() % (size + 5000);
		gData[i] = realloc(gData[i], count + 1);
		if (count > size)
			memset(gData[i] + size, 0, count - size);
		openFile(&file, path, LFS_O_RDWR, time, &config, &attribute);
		CHECK(0 == lfs_file_truncate(&gLfs, &file, count), "truncate", count);
		gSize[i] = count;
	}
	CHECK(0 == lfs_file_close(&gLfs, &file), "close", 0);
}

// A folder of many entries, as the bench's uploads make it: new names in order, each written
// to a temporary and renamed (a commit that moves an entry within its pair, and compactions
// and splits of the pair that receives them), then removed, replaced, renamed to other names
// and across folders, their time attribute removed and set again, with folders made and
// removed among them. Each file holds its number,
// so that the check after the remount finds every name with its own bytes.
#define kMany (320)
static uint16_t gManySize[kMany];		// 0xFFFF: absent
static char gManyFolder[kMany];		// 'm' or 'n'

static void manyName(char *buffer, char folder, int i)
{
	snprintf(buffer, 64, "%c/upload-%04d.bin", folder, i);
}

static void manyBytes(uint8_t *bytes, int i, lfs_size_t size)
{
	lfs_size_t j;
	for (j = 0; j < size; j++)
		bytes[j] = (uint8_t)(i * 31 + j);
}

static void manyStore(int i)
{
	static uint8_t bytes[2048];
	char path[64], temporary[64];
	uint8_t time[8];
	struct lfs_file_config config;
	struct lfs_attr attribute;
	lfs_file_t file;
	lfs_size_t size = (next() & 1) ? (next() % 40) : (next() % sizeof(bytes));		// inline and not
	int error;

	manyBytes(bytes, i, size);
	fill(time, sizeof(time));
	manyName(path, 'm', i);
	snprintf(temporary, sizeof(temporary), "m/.part-%d", (int)(next() % 1000));
	openFile(&file, temporary, LFS_O_RDWR | LFS_O_CREAT | LFS_O_TRUNC, time, &config, &attribute);
	writePieces(&file, bytes, size);
	CHECK(0 == lfs_file_close(&gLfs, &file), "close", 0);
	error = lfs_rename(&gLfs, temporary, path);
	CHECK(0 == error, "rename", error);
	if ((0xFFFF != gManySize[i]) && ('n' == gManyFolder[i])) {
		manyName(path, 'n', i);
		CHECK(0 == lfs_remove(&gLfs, path), "remove the other", i);
	}
	gManySize[i] = (uint16_t)size;
	gManyFolder[i] = 'm';
}

static void manyRemove(int i)
{
	char path[64];
	if (0xFFFF == gManySize[i])
		return;
	manyName(path, gManyFolder[i], i);
	CHECK(0 == lfs_remove(&gLfs, path), "remove", i);
	gManySize[i] = 0xFFFF;
}

// to the other folder under the same name, or within its folder to another number's name
static void manyRename(int i)
{
	char from[64], to[64];
	int j = (int)(next() % kMany);
	char folder = ('m' == gManyFolder[i]) ? 'n' : 'm';
	if (0xFFFF == gManySize[i])
		return;
	manyName(from, gManyFolder[i], i);
	if ((next() & 1) && (0xFFFF == gManySize[j])) {
		uint8_t bytes[2048];
		lfs_file_t file;
		struct lfs_file_config config;
		lfs_ssize_t got;
		// within the folder: j's name, i's bytes, read back and written as j's
		manyName(to, gManyFolder[i], j);
		CHECK(0 == lfs_rename(&gLfs, from, to), "rename within", i);
		memset(&config, 0, sizeof(config));
		config.buffer = gFileCache;
		CHECK(0 == lfs_file_opencfg(&gLfs, &file, to, LFS_O_RDWR, &config), "open renamed", j);
		got = lfs_file_read(&gLfs, &file, bytes, sizeof(bytes));
		CHECK(got == gManySize[i], "renamed size", j);
		manyBytes(bytes, j, (lfs_size_t)got);
		CHECK(0 == lfs_file_rewind(&gLfs, &file), "rewind", j);
		CHECK(got == lfs_file_write(&gLfs, &file, bytes, (lfs_size_t)got), "rewrite", j);
		CHECK(0 == lfs_file_close(&gLfs, &file), "close", j);
		gManySize[j] = gManySize[i];
		gManyFolder[j] = gManyFolder[i];
		gManySize[i] = 0xFFFF;
		return;
	}
	manyName(to, folder, i);
	CHECK(0 == lfs_rename(&gLfs, from, to), "rename across", i);
	gManyFolder[i] = folder;
}

static void manyVerify(void)
{
	static uint8_t bytes[2048], expected[2048];
	struct lfs_info info;
	lfs_dir_t dir;
	int i, count = 0, present = 0;
	char folder;

	for (i = 0; i < kMany; i++) {
		char path[64];
		lfs_file_t file;
		struct lfs_file_config config;
		lfs_ssize_t got;
		if (0xFFFF == gManySize[i])
			continue;
		present++;
		manyName(path, gManyFolder[i], i);
		memset(&config, 0, sizeof(config));
		config.buffer = gFileCache;
		CHECK(0 == lfs_file_opencfg(&gLfs, &file, path, LFS_O_RDONLY, &config), "open to verify", i);
		got = lfs_file_read(&gLfs, &file, bytes, sizeof(bytes));
		CHECK(got == gManySize[i], "size read back", i);
		manyBytes(expected, i, (lfs_size_t)got);
		CHECK(0 == memcmp(bytes, expected, (size_t)got), "bytes read back", i);
		CHECK(0 == lfs_file_close(&gLfs, &file), "close", i);
	}
	// nothing else: no temporary left, no name twice
	for (folder = 'm'; folder <= 'n'; folder++) {
		char path[2] = {folder, 0};
		CHECK(0 == lfs_dir_open(&gLfs, &dir, path), "opendir", folder);
		while (lfs_dir_read(&gLfs, &dir, &info) > 0) {
			if ((LFS_TYPE_REG == info.type) && (0 == strncmp(info.name, "upload-", 7)))
				count++;
			else
				CHECK((LFS_TYPE_DIR == info.type) && (('.' == info.name[0]) || (0 == strncmp(info.name, "sub-", 4))), "an entry of its own", folder);
		}
		CHECK(0 == lfs_dir_close(&gLfs, &dir), "closedir", folder);
	}
	CHECK(count == present, "entries listed", count);
}

static void many(void)
{
	int i, round;
	CHECK(0 == lfs_mkdir(&gLfs, "m"), "mkdir", 0);
	CHECK(0 == lfs_mkdir(&gLfs, "n"), "mkdir", 0);
	for (i = 0; i < kMany; i++)
		gManySize[i] = 0xFFFF;
	for (i = 0; i < kMany; i++)
		manyStore(i);
	for (round = 0; round < 1500; round++) {
		uint32_t what = next() % 16;
		i = (int)(next() % kMany);
		if (what < 6)
			manyStore(i);
		else if (what < 10)
			manyRemove(i);
		else if (what < 13)
			manyRename(i);
		else if (what < 14) {
			// the time attribute removed (a tag of a delete's size), or set again
			char path[64];
			uint8_t time[8];
			int error;
			if (0xFFFF == gManySize[i])
				continue;
			manyName(path, gManyFolder[i], i);
			fill(time, sizeof(time));
			error = (next() & 1) ? lfs_removeattr(&gLfs, path, kTimeType) : lfs_setattr(&gLfs, path, kTimeType, time, sizeof(time));
			CHECK(0 == error, "attribute", error);
		}
		else {
			char path[64];
			snprintf(path, sizeof(path), "%c/sub-%d", (next() & 1) ? 'm' : 'n', (int)(next() % 8));
			if (lfs_mkdir(&gLfs, path) == LFS_ERR_EXIST)
				CHECK(0 == lfs_remove(&gLfs, path), "rmdir", round);
		}
	}
	manyVerify();
}

static void verify(void)
{
	static uint8_t buffer[kLargest + 20000];
	char path[64];
	lfs_file_t file;
	struct lfs_file_config config;
	int i;

	memset(&config, 0, sizeof(config));
	config.buffer = gFileCache;
	for (i = 0; i < kFiles; i++) {
		lfs_ssize_t got;
		name(path, "d", i);
		CHECK(0 == lfs_file_opencfg(&gLfs, &file, path, LFS_O_RDONLY, &config), "open to verify", i);
		got = lfs_file_read(&gLfs, &file, buffer, sizeof(buffer));
		CHECK((lfs_ssize_t)gSize[i] == got, "size read back", i);
		CHECK(0 == memcmp(buffer, gData[i], gSize[i]), "bytes read back", i);
		CHECK(0 == lfs_file_close(&gLfs, &file), "close", 0);
	}
}

int main(int argc, char **argv)
{
	uint8_t created, time[8];
	double total = 0;
	int i, round, error;

	if (argc != 2)
		return 2;
	remove(argv[1]);
	CHECK(0 == volumeImageOpen(argv[1], kImageSize, &gConfig, &created), "image", 0);
	gErase = gConfig.erase;
	gConfig.erase = countErase;
	gConfig.lock = lockVolume;
	gConfig.unlock = lockVolume;
	gConfig.read_size = 16;
	gConfig.prog_size = 16;
	gConfig.cache_size = sizeof(gProgCache);
	gConfig.lookahead_size = sizeof(gLookahead);
	gConfig.block_cycles = 500;
	gConfig.metadata_max = PROG_METADATA_MAX;
	gConfig.read_buffer = gReadCache;
	gConfig.prog_buffer = gProgCache;
	gConfig.lookahead_buffer = gLookahead;
	startCache();
	CHECK(0 == lfs_format(&gLfs, &gConfig), "format", 0);
	CHECK(0 == lfs_mount(&gLfs, &gConfig), "mount", 0);
	CHECK(0 == lfs_mkdir(&gLfs, "d"), "mkdir", 0);
	CHECK(0 == lfs_mkdir(&gLfs, "e"), "mkdir", 0);

	for (i = 0; i < kFiles; i++) {
		gData[i] = malloc(1);
		gSize[i] = 0;
		replace(i);
	}
	// more bytes than the image holds, over time: the allocator wraps around
	for (round = 0; round < 160; round++) {
		i = next() % kFiles;
		if (next() & 1)
			replace(i);
		else
			change(i);
	}
	// a pair committed to more than block_cycles times: LittleFS relocates it
	{
		lfs_dir_t dir;
		lfs_block_t before[2];
		lfs_file_t file;
		struct lfs_file_config config;
		struct lfs_attr attribute;
		openFile(&file, "e/times.bin", LFS_O_RDWR | LFS_O_CREAT, time, &config, &attribute);
		CHECK(0 == lfs_file_close(&gLfs, &file), "close", 0);
		CHECK(0 == lfs_dir_open(&gLfs, &dir, "e"), "opendir", 0);
		before[0] = dir.m.pair[0];
		before[1] = dir.m.pair[1];
		CHECK(0 == lfs_dir_close(&gLfs, &dir), "closedir", 0);
		for (round = 0; round < kAttributeCommits; round++) {
			fill(time, sizeof(time));
			error = lfs_setattr(&gLfs, "e/times.bin", kTimeType, time, sizeof(time));
			CHECK(0 == error, "setattr", error);
		}
		CHECK(0 == lfs_dir_open(&gLfs, &dir, "e"), "opendir", 0);
		CHECK((dir.m.pair[0] != before[0]) && (dir.m.pair[0] != before[1]), "the pair was relocated", dir.m.pair[0]);
		CHECK(0 == lfs_dir_close(&gLfs, &dir), "closedir", 0);
	}
	many();
	// files made and removed
	for (round = 0; round < 40; round++) {
		char path[64];
		lfs_file_t file;
		struct lfs_file_config config;
		struct lfs_attr attribute;
		lfs_size_t size = next() % 20000;
		uint8_t *bytes = malloc(size + 1);
		fill(bytes, size);
		name(path, "e", round);
		openFile(&file, path, LFS_O_RDWR | LFS_O_CREAT | LFS_O_TRUNC, time, &config, &attribute);
		writePieces(&file, bytes, size);
		CHECK(0 == lfs_file_close(&gLfs, &file), "close", 0);
		free(bytes);
		if (round % 3)
			CHECK(0 == lfs_remove(&gLfs, path), "remove", round);
	}
	verify();
	CHECK(0 == lfs_unmount(&gLfs), "unmount", 0);
	stopCache();
	startCache();
	CHECK(0 == lfs_mount(&gLfs, &gConfig), "mount again", 0);
	verify();
	manyVerify();
	CHECK(0 == lfs_unmount(&gLfs), "unmount", 0);
	stopCache();
	volumeImageClose(&gConfig, 0);
	for (i = 0; i < kFiles; i++)
		total += gSize[i];
	printf("ok %d files, %.0f bytes, %ld erases of %ld blocks\n", kFiles, total, gErases, (long)gConfig.block_count);
#ifdef MODDEF_VOLUME_LFS_COMPARE
	printf("fetches from the cache: %lu\n", (unsigned long)gVolumeLfsFetchHits);
	printf("lookups replayed: %lu\n", (unsigned long)gVolumeLfsFetchReplays);
	printf("fetches resumed: %lu\n", (unsigned long)gVolumeLfsFetchResumes);
#endif
#ifdef MODDEF_VOLUME_LFS_WALK_TAGS
	printf("walks swept: %lu, scanned: %lu\n", (unsigned long)gVolumeLfsWalkSweeps, (unsigned long)gVolumeLfsWalkScans);
#endif
	return 0;
}
