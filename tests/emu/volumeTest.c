/*
 * The volume's storage path on the ESP8266's CPU: modules/volume (volume.c's C API and the
 * LittleFS backend), the SDK's LittleFS, our partition block device (volumePartitionEsp.c) and
 * the SDK's modSPIRead/modSPIWrite/modSPIErase, all compiled with the ESP8266 firmware's compile
 * lines, over a simulated NOR flash (flash.c) on qemu's lx106.
 *
 * Two faces of the same volume: the backend (VolumeBackend, as volume.c's JS face uses it:
 * stat, rename, remove, info, listings) mounted with volumeLittlefsMountPartition, and
 * volume.h's C API (as ftpsock uses it) on the volume xs_volume_mountPartition mounts, whose
 * closes stamp the time of the SDK's clock. Output is TAP-like, then "N passed, N failed".
 */
// LittleFS first: its lfs.h includes xsPlatform.h, whose macros xs.h then leaves as they are
#include "volumeDevice.h"
#include "xsmc.h"
#include "xsHost.h"

#include "volumeBackend.h"
#include "emu.h"
#include "emuFlash.h"

void xs_volume_mountPartition(xsMachine *the);
void xs_volume_unmount(xsMachine *the);

static int gPassed = 0;
static int gFailed = 0;
static int gFailing;
static const char *gName;
static VolumeBackend gVolume;

static void fail(int line, const char *what)
{
	if (!gFailing)
		emuPrint("not ok - %s: %s (volumeTest.c:%d)\n", gName, what, line);
	gFailing = 1;
}

#define CHECK(condition, what) do { if (!(condition)) { fail(__LINE__, what); return; } } while (0)
#define CHECK_CODE(expected, actual, what) do { int32_t __actual = (int32_t)(actual); if ((expected) != __actual) { \
	emuPrint("#   %s: %s, expected %s\n", what, volumeErrorName(__actual < 0 ? __actual : 0), volumeErrorName(expected)); \
	fail(__LINE__, what); return; } } while (0)

static void run(const char *name, void (*test)(void))
{
	uint32_t violations = emuFlashStats()->violations;

	gName = name;
	gFailing = 0;
	test();
	if (!gFailing && (emuFlashStats()->violations != violations))
		fail(__LINE__, "the flash was used against the SDK's or NOR's rules (lines above)");
	if (gFailing)
		gFailed++;
	else {
		gPassed++;
		emuPrint("ok - %s\n", name);
	}
}

/*
	Helpers
*/

// Bytes that differ at every position and between files.
static void pattern(uint8_t *bytes, uint32_t length, uint32_t seed)
{
	uint32_t i, x = seed * 2654435761U + 1;

	for (i = 0; i < length; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		bytes[i] = (uint8_t)x;
	}
}

static int same(const uint8_t *a, const uint8_t *b, uint32_t length)
{
	uint32_t i;

	for (i = 0; i < length; i++) {
		if (a[i] != b[i])
			return 0;
	}
	return 1;
}

static int32_t mountBackend(void)
{
	int32_t error = VOLUME_OK;

	gVolume = volumeLittlefsMountPartition(&error);
	return gVolume ? VOLUME_OK : error;
}

static void unmountBackend(void)
{
	if (gVolume)
		gVolume->unmount();
	gVolume = NULL;
}

// Each test's own volume: the region erased, then mounted (which formats it).
static int32_t mountFresh(void)
{
	emuFlashFill(0xFF);
	return mountBackend();
}

// Writes `length` bytes from `bytes` in pieces of the sizes in `pieces` (cycled), through the
// backend; closes with `mtime`. Returns 0 or the first error.
static int32_t backendWrite(const char *path, const uint8_t *bytes, uint32_t length, const uint32_t *pieces, int count, int64_t mtime)
{
	int32_t error = VOLUME_OK, result;
	uint32_t done = 0;
	int i = 0;
	VolumeFile file = gVolume->openFile(path, kVolumeModeWrite | kVolumeModeCreate | kVolumeModeTruncate, &error);

	if (!file)
		return error;
	while (done < length) {
		uint32_t size = pieces[i++ % count];

		if (size > (length - done))
			size = length - done;
		result = gVolume->writeFile(file, bytes + done, size);
		if (result < 0) {
			gVolume->closeFile(file, mtime);
			c_free(file);
			return result;
		}
		if ((uint32_t)result != size) {
			gVolume->closeFile(file, mtime);
			c_free(file);
			return VOLUME_EIO;
		}
		done += size;
	}
	result = gVolume->closeFile(file, mtime);
	c_free(file);
	return result;
}

// Reads the whole file into `bytes` (room for `capacity`) in pieces; returns its length or an error.
static int32_t backendRead(const char *path, uint8_t *bytes, uint32_t capacity, uint32_t piece)
{
	int32_t error = VOLUME_OK, result;
	uint32_t done = 0;
	VolumeFile file = gVolume->openFile(path, kVolumeModeRead, &error);

	if (!file)
		return error;
	for (;;) {
		uint32_t size = (capacity - done) < piece ? (capacity - done) : piece;

		result = gVolume->readFile(file, bytes + done, size);
		if (result <= 0)
			break;
		done += (uint32_t)result;
		if (done == capacity)
			break;
	}
	gVolume->closeFile(file, 0);
	c_free(file);
	return (result < 0) ? result : (int32_t)done;
}

static uint8_t gSource[70000 + 8];
static uint8_t gRead[70000 + 8];

static const uint32_t kOddPieces[] = {1, 3, 17, 255, 1000, 4097, 31, 2};

/*
	Tests
*/

static void testFormat(void)
{
	VolumeInfoRecord info;
	VolumeEntryRecord entry;

	emuFlashFill(0x00);			// a region that never held LittleFS: programmed zeros
	CHECK_CODE(VOLUME_OK, mountBackend(), "mount of a blank region (formats it)");
	CHECK_CODE(VOLUME_OK, gVolume->info(&info), "info");
	CHECK((4096 == info.blockSize) && (256 * 1024 == (uint32_t)info.total), "block size 4096, 256 KiB");
	CHECK((info.used > 0) && (info.used <= (4 * 4096)), "a new volume uses its superblocks only");
	CHECK_CODE(VOLUME_OK, gVolume->stat("/", &entry), "stat /");
	CHECK(entry.directory, "/ is a directory");
	CHECK(emuFlashStats()->erases > 0, "formatting erased no sector");
	unmountBackend();
	CHECK_CODE(VOLUME_OK, mountBackend(), "mount again: the format holds");
	unmountBackend();
}

static void testOddWrites(void)
{
	static const struct {uint32_t length; uint32_t offset;} files[] = {
		{0, 1}, {1, 3}, {13, 1}, {255, 2}, {4096, 1}, {4097, 3}, {9999, 1}, {70000, 3}
	};
	char path[32];
	VolumeEntryRecord entry;
	int i;

	CHECK_CODE(VOLUME_OK, mountFresh(), "mount a fresh volume");
	for (i = 0; i < (int)(sizeof(files) / sizeof(files[0])); i++) {
		uint8_t *from = gSource + files[i].offset;		// odd addresses: no alignment to lean on

		pattern(from, files[i].length, (uint32_t)i + 1);
		c_strcpy(path, "/odd-0.bin");
		path[5] = (char)('0' + i);
		CHECK_CODE(VOLUME_OK, backendWrite(path, from, files[i].length, kOddPieces, 8, 1700000000), "write from an odd address in odd pieces");
	}
	unmountBackend();
	CHECK_CODE(VOLUME_OK, mountBackend(), "remount");
	for (i = 0; i < (int)(sizeof(files) / sizeof(files[0])); i++) {
		uint8_t *from = gSource + files[i].offset;
		uint8_t *to = gRead + 1 + (i & 1) * 2;
		int32_t length;

		pattern(from, files[i].length, (uint32_t)i + 1);
		c_strcpy(path, "/odd-0.bin");
		path[5] = (char)('0' + i);
		CHECK_CODE(VOLUME_OK, gVolume->stat(path, &entry), "stat after remount");
		CHECK(!entry.directory && (entry.size == files[i].length), "size after remount");
		CHECK(1700000000 == entry.mtime, "modification time after remount");
		length = backendRead(path, to, sizeof(gRead) - 4, 333);
		CHECK((uint32_t)length == files[i].length, "length read back into an odd address");
		CHECK(same(to, from, files[i].length), "bytes read back");
	}
	unmountBackend();
}

static void testListing(void)
{
	VolumeDirectory directory;
	VolumeEntryRecord entry;
	int32_t error = VOLUME_OK, result;
	int count = 0, found = 0;
	static const uint32_t pieces[] = {7};

	CHECK_CODE(VOLUME_OK, mountFresh(), "mount a fresh volume");
	pattern(gSource, 1000, 76);
	for (count = 0; count < 8; count++) {
		char path[] = "/file-0.txt";

		path[6] = (char)('0' + count);
		CHECK_CODE(VOLUME_OK, backendWrite(path, gSource, 100 * (uint32_t)count, pieces, 1, 1600000000), "write a file");
	}
	count = 0;
	CHECK_CODE(VOLUME_OK, gVolume->makeDirectory("/dir", 1600000000), "mkdir");
	pattern(gSource + 1, 300, 77);
	CHECK_CODE(VOLUME_OK, backendWrite("/dir/été.txt", gSource + 1, 300, pieces, 1, 1650000000), "write in a folder");
	CHECK_CODE(VOLUME_EEXIST, gVolume->makeDirectory("/dir", 0), "mkdir of an existing folder");
	CHECK_CODE(VOLUME_ENOTEMPTY, gVolume->removeDirectory("/dir"), "rmdir of a folder with a file");
	directory = gVolume->openDirectory("/", &error);
	CHECK(directory, "open /");
	while ((result = gVolume->readDirectory(directory, &entry)) > 0) {
		count++;
		if (!c_strcmp(entry.name, "dir"))
			found += entry.directory && (1600000000 == entry.mtime);
	}
	gVolume->closeDirectory(directory);
	c_free(directory);
	CHECK_CODE(VOLUME_OK, result, "listing of /");
	CHECK(9 == count, "/ lists 8 files and a folder");
	CHECK(1 == found, "the folder is listed with its time");
	directory = gVolume->openDirectory("/dir", &error);
	CHECK(directory, "open /dir");
	result = gVolume->readDirectory(directory, &entry);
	CHECK((1 == result) && !c_strcmp(entry.name, "été.txt") && (300 == entry.size) && (1650000000 == entry.mtime), "the file in /dir, its size and time");
	CHECK(0 == gVolume->readDirectory(directory, &entry), "one entry");
	gVolume->closeDirectory(directory);
	c_free(directory);
	unmountBackend();
}

static void testRenameReplaces(void)
{
	static const uint32_t pieces[] = {512};
	VolumeEntryRecord entry;
	int32_t length;

	CHECK_CODE(VOLUME_OK, mountFresh(), "mount a fresh volume");
	pattern(gSource, 5000, 11);
	CHECK_CODE(VOLUME_OK, backendWrite("/target.txt", gSource, 5000, pieces, 1, 1600000000), "write the old file");
	pattern(gSource, 7000, 12);
	CHECK_CODE(VOLUME_OK, backendWrite("/.ftpd-part-1", gSource, 7000, pieces, 1, 1700000001), "write the new one beside it");
	CHECK_CODE(VOLUME_OK, gVolume->rename("/.ftpd-part-1", "/target.txt"), "rename over the old file");
	CHECK_CODE(VOLUME_ENOENT, gVolume->stat("/.ftpd-part-1", &entry), "the temporary is gone");
	unmountBackend();
	CHECK_CODE(VOLUME_OK, mountBackend(), "remount");
	CHECK_CODE(VOLUME_OK, gVolume->stat("/target.txt", &entry), "stat the target");
	CHECK((7000 == entry.size) && (1700000001 == entry.mtime), "the target has the new file's size and time");
	length = backendRead("/target.txt", gRead, sizeof(gRead), 4096);
	CHECK((7000 == length) && same(gRead, gSource, 7000), "the target has the new bytes");
	CHECK_CODE(VOLUME_ENOENT, gVolume->rename("/missing", "/x"), "rename of a missing file");
	unmountBackend();
}

static void testRemove(void)
{
	static const uint32_t pieces[] = {4096};
	VolumeEntryRecord entry;
	VolumeInfoRecord before, after;

	CHECK_CODE(VOLUME_OK, mountFresh(), "mount a fresh volume");
	pattern(gSource, 70000, 8);
	CHECK_CODE(VOLUME_OK, backendWrite("/odd-7.bin", gSource, 70000, pieces, 1, 1600000000), "write a 70000-byte file");
	CHECK_CODE(VOLUME_OK, backendWrite("/odd-6.bin", gSource, 9999, pieces, 1, 1600000000), "write another");
	CHECK_CODE(VOLUME_OK, gVolume->makeDirectory("/dir", 1600000000), "mkdir");
	CHECK_CODE(VOLUME_OK, backendWrite("/dir/été.txt", gSource, 300, pieces, 1, 1600000000), "write in the folder");
	CHECK_CODE(VOLUME_OK, gVolume->info(&before), "info");
	CHECK_CODE(VOLUME_OK, gVolume->removeFile("/odd-7.bin"), "remove a 70000-byte file");
	CHECK_CODE(VOLUME_ENOENT, gVolume->stat("/odd-7.bin", &entry), "stat after remove");
	CHECK_CODE(VOLUME_ENOENT, gVolume->removeFile("/odd-7.bin"), "remove again");
	CHECK_CODE(VOLUME_OK, gVolume->info(&after), "info");
	CHECK(after.used <= (before.used - (16 * 4096)), "its blocks are free again");
	CHECK_CODE(VOLUME_OK, gVolume->removeFile("/dir/été.txt"), "remove in a folder");
	CHECK_CODE(VOLUME_OK, gVolume->removeDirectory("/dir"), "rmdir of the emptied folder");
	unmountBackend();
	CHECK_CODE(VOLUME_OK, mountBackend(), "remount");
	CHECK_CODE(VOLUME_ENOENT, gVolume->stat("/odd-7.bin", &entry), "still removed after remount");
	CHECK_CODE(VOLUME_OK, gVolume->stat("/odd-6.bin", &entry), "the others are still there");
	unmountBackend();
}

// Fills the volume with one file: ENOSPC, then the volume still mounts with its files intact and
// the space comes back with the file removed.
static void testFull(void)
{
	static const uint32_t pieces[] = {1000};
	int32_t error = VOLUME_OK, result = 0, closed;
	uint32_t written = 0;
	VolumeEntryRecord entry;
	VolumeFile file;
	int32_t length;

	CHECK_CODE(VOLUME_OK, mountFresh(), "mount a fresh volume");
	pattern(gSource, 7000, 12);
	CHECK_CODE(VOLUME_OK, backendWrite("/target.txt", gSource, 7000, pieces, 1, 1600000000), "write a file to keep");
	pattern(gSource, 1000, 99);
	file = gVolume->openFile("/huge.bin", kVolumeModeWrite | kVolumeModeCreate | kVolumeModeTruncate, &error);
	CHECK(file, "open");
	while (written < (512 * 1024)) {
		result = gVolume->writeFile(file, gSource, 1000);
		if (result < 0)
			break;
		written += (uint32_t)result;
	}
	closed = gVolume->closeFile(file, 1700000000);
	c_free(file);
	CHECK((VOLUME_ENOSPC == result) || (VOLUME_ENOSPC == closed), "a full volume is ENOSPC");
	CHECK((written > (100 * 1024)) && (written < (256 * 1024)), "written up to the volume's size");
	unmountBackend();
	CHECK_CODE(VOLUME_OK, mountBackend(), "remount of a full volume");
	CHECK_CODE(VOLUME_OK, gVolume->stat("/target.txt", &entry), "the other files are intact");
	length = backendRead("/target.txt", gRead, sizeof(gRead), 4096);
	pattern(gSource, 7000, 12);
	CHECK((7000 == length) && same(gRead, gSource, 7000), "their bytes too");
	result = gVolume->removeFile("/huge.bin");
	CHECK((VOLUME_OK == result) || (VOLUME_ENOENT == result), "remove the partial file");
	pattern(gSource, 20000, 13);
	CHECK_CODE(VOLUME_OK, backendWrite("/after.bin", gSource, 20000, pieces, 1, 1), "a write after the space is back");
	unmountBackend();
}

// Appends `length` bytes to `path` in one write, as APPE does.
static int32_t backendAppend(const char *path, const uint8_t *bytes, uint32_t length)
{
	int32_t error = VOLUME_OK, result;
	VolumeFile file = gVolume->openFile(path, kVolumeModeWrite | kVolumeModeAppend, &error);

	if (!file)
		return error;
	result = gVolume->writeFile(file, bytes, length);
	error = gVolume->closeFile(file, 1);
	c_free(file);
	if (result < 0)
		return result;
	return ((uint32_t)result == length) ? error : VOLUME_EIO;
}

// A file open for reading keeps the blocks it reads until it is closed (volumeLfs.c's
// volumeTraverse), when its entry is removed, and when its file is appended to (LittleFS copies
// the last, partial block to a new one and frees it): the writes that fill the volume meanwhile
// take none of them, and the reader gets the bytes the file had when it was opened, to their end.
static void testOpenChanged(int append);
static void testOpenRemoved(void)
{
	testOpenChanged(0);
}

static void testOpenAppended(void)
{
	testOpenChanged(1);
}

static void testOpenChanged(int append)
{
	static const uint32_t pieces[] = {4096};
	static uint8_t fill[4096];
	int32_t error = VOLUME_OK, result = 0;
	uint32_t done;
	int fills;
	char path[] = "/fill-00";
	VolumeFile file;

	CHECK_CODE(VOLUME_OK, mountFresh(), "mount a fresh volume");
	pattern(gSource, 60000, 21);
	CHECK_CODE(VOLUME_OK, backendWrite("/victim.bin", gSource, 60000, pieces, 1, 1), "write the file");
	file = gVolume->openFile("/victim.bin", kVolumeModeRead, &error);
	CHECK(file, "open it to read");
	result = gVolume->readFile(file, gRead, 1000);
	done = (result > 0) ? (uint32_t)result : 0;
	if (1000 != result) {
		gVolume->closeFile(file, 0);
		c_free(file);
	}
	CHECK(1000 == result, "read its start");
	pattern(fill, sizeof(fill), 77);
	if (append)
		CHECK_CODE(VOLUME_OK, backendAppend("/victim.bin", fill, 100), "append to it while it is open");
	else
		CHECK_CODE(VOLUME_OK, gVolume->removeFile("/victim.bin"), "remove it while it is open");
	for (fills = 0; fills < 100; fills++) {
		path[6] = '0' + (fills / 10);
		path[7] = '0' + (fills % 10);
		result = backendWrite(path, fill, sizeof(fill), pieces, 1, 1);
		if (result)
			break;
	}
	while (done < 60000) {
		int32_t got = gVolume->readFile(file, gRead + done, ((60000 - done) < 4096) ? (60000 - done) : 4096);
		if (got <= 0)
			break;
		done += (uint32_t)got;
	}
	gVolume->closeFile(file, 0);
	c_free(file);
	CHECK(VOLUME_ENOSPC == result, "the other writes filled the volume");
	CHECK(fills > 10, "the volume took other files");
	CHECK((60000 == done) && same(gRead, gSource, 60000), "the open file read to its end, its own bytes");
	if (append)
		CHECK_CODE(VOLUME_OK, gVolume->removeFile("/victim.bin"), "remove the appended file");
	pattern(gSource, 40000, 22);
	CHECK_CODE(VOLUME_OK, backendWrite("/after.bin", gSource, 40000, pieces, 1, 1), "closed, its blocks are free again");
	unmountBackend();
}

// A power cut while a file is rewritten: the flash as it was at any program mounts, with the old
// file whole (LittleFS commits a file's new contents in one metadata commit).
static void testPowerCut(void)
{
	static const uint32_t pieces[] = {700};
	VolumeEntryRecord entry;
	int32_t length, result;
	int cut;

	CHECK_CODE(VOLUME_OK, mountFresh(), "mount a fresh volume");
	pattern(gSource, 9000, 21);
	CHECK_CODE(VOLUME_OK, backendWrite("/keep.bin", gSource, 9000, pieces, 1, 1600000000), "write the file");
	unmountBackend();
	emuFlashSave();
	for (cut = 0; cut < 40; cut += 3) {
		emuFlashRestore();
		CHECK_CODE(VOLUME_OK, mountBackend(), "mount before the cut");
		emuFlashCutPowerAfter(cut);
		pattern(gRead, 9000, 22);
		result = backendWrite("/keep.bin", gRead, 9000, pieces, 1, 1700000000);
		emuFlashCutPowerAfter(-1);
		gVolume = NULL;			// the power is gone: no unmount, the RAM state is lost
		if (VOLUME_OK == result)
			break;				// the cut came after the commit
		CHECK_CODE(VOLUME_OK, mountBackend(), "mount after the cut");
		CHECK_CODE(VOLUME_OK, gVolume->stat("/keep.bin", &entry), "the file after the cut");
		CHECK((9000 == entry.size) && (1600000000 == entry.mtime), "the old size and time");
		length = backendRead("/keep.bin", gSource + 3, 9000, 4096);
		pattern(gRead, 9000, 21);
		CHECK((9000 == length) && same(gSource + 3, gRead, 9000), "the old bytes");
		unmountBackend();
	}
	CHECK(cut > 3, "no cut came before the commit: the test tested nothing");
}

static int noLock(const struct lfs_config *config)
{
	(void)config;
	return LFS_ERR_OK;
}

// The stored format, read by LittleFS itself on its own mount of the partition: the time is the
// custom attribute 0x74, 8 bytes, little endian (what the Linux host's images hold too). Returns
// "" and the time, or what failed.
static const char *readTimeAttribute(const char *path, int32_t *seconds)
{
	static uint32_t lookahead[8];
	static uint8_t readBuffer[256], progBuffer[256];
	struct lfs_config config;
	lfs_t lfs;
	uint8_t bytes[9];
	lfs_ssize_t size;

	c_memset(&config, 0, sizeof(config));
	if (volumePartitionOpen(&config))
		return "volumePartitionOpen";
	config.read_size = 16;
	config.prog_size = 16;
	config.cache_size = sizeof(readBuffer);
	config.lookahead_size = sizeof(lookahead);
	config.block_cycles = 500;
	config.read_buffer = readBuffer;
	config.prog_buffer = progBuffer;
	config.lookahead_buffer = lookahead;
	config.lock = noLock;		// the SDK's lfs.h defines LFS_THREADSAFE
	config.unlock = noLock;
	if (lfs_mount(&lfs, &config))
		return "lfs_mount";
	size = lfs_getattr(&lfs, path, 0x74, bytes, sizeof(bytes));
	lfs_unmount(&lfs);
	if (8 != size)
		return "lfs_getattr: not 8 bytes";
	*seconds = (int32_t)(bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | ((uint32_t)bytes[3] << 24));
	if (bytes[4] | bytes[5] | bytes[6] | bytes[7])
		return "the high bytes of a 2000 time are not 0";
	return "";
}

// volume.h's C API (ftpsock's) on the volume the JS face mounts, with the SDK's clock.
static void testCApiAndTimes(void)
{
	int error = 0;
	VolumeFile file;
	VolumeEntryRecord entry;
	uint8_t *odd = gSource + 1;
	int32_t result;
	uint32_t i;

	emuFlashFill(0xFF);
	xs_volume_mountPartition(NULL);		// formats; touches the machine only to throw, which fails the run
	file = volumeOpenWrite("/clock.txt", 0, 0, &error);
	CHECK(file, "volumeOpenWrite");
	CHECK_CODE(5, volumeWrite(file, "early", 5), "volumeWrite");
	CHECK_CODE(VOLUME_OK, volumeClose(file), "volumeClose");

	modSetTime(1765000000);			// 2025-12-06: the clock is set (SNTP on a board)
	pattern(odd, 4000, 31);
	file = volumeOpenWrite("/data.bin", 0, 0, &error);
	CHECK(file, "volumeOpenWrite");
	for (i = 0; i < 3001; i += 7)
		CHECK_CODE((int32_t)((3001 - i) < 7 ? (3001 - i) : 7), volumeWrite(file, odd + i, (3001 - i) < 7 ? (3001 - i) : 7), "volumeWrite from an odd address");
	CHECK_CODE(VOLUME_OK, volumeClose(file), "volumeClose");
	file = volumeOpenWrite("/data.bin", 1, 0, &error);
	CHECK(file, "volumeOpenWrite to append");
	CHECK_CODE(999, volumeWrite(file, odd + 3001, 999), "append");
	CHECK_CODE(VOLUME_OK, volumeClose(file), "volumeClose");
	file = volumeOpenWrite("/data.bin", 0, 5000, &error);
	CHECK(!file && (VOLUME_EINVAL == error), "resume past the end is EINVAL");
	file = volumeOpenRead("/data.bin", 4001, &error);
	CHECK(file, "volumeOpenRead at 4001");
	CHECK_CODE(0, volumeRead(file, gRead + 1, 100), "at the end: 0");
	CHECK_CODE(VOLUME_OK, volumeClose(file), "volumeClose");
	file = volumeOpenRead("/data.bin", 3, &error);
	CHECK(file, "volumeOpenRead at 3");
	result = volumeRead(file, gRead + 3, 5000);
	CHECK((3997 == result) || ((result > 0) && (result < 3997)), "volumeRead");
	while ((result > 0) && (result < 3997)) {
		int32_t more = volumeRead(file, gRead + 3 + result, 5000);

		if (more <= 0)
			break;
		result += more;
	}
	CHECK_CODE(3997, result, "read from offset 3 into an odd address");
	CHECK(same(gRead + 3, odd + 3, 3997), "the bytes from offset 3");
	CHECK_CODE(VOLUME_OK, volumeClose(file), "volumeClose");
	file = volumeOpenRead("/missing.bin", 0, &error);
	CHECK(!file && (VOLUME_ENOENT == error), "a missing file is ENOENT");
	file = volumeOpenRead("relative", 0, &error);
	CHECK(!file && (error < 0), "a relative path is refused");
	xs_volume_unmount(NULL);

	file = volumeOpenRead("/data.bin", 0, &error);
	CHECK(!file && (VOLUME_ENOTMOUNTED == error), "after unmount: ENOTMOUNTED");

	CHECK_CODE(VOLUME_OK, mountBackend(), "mount");
	CHECK_CODE(VOLUME_OK, gVolume->stat("/clock.txt", &entry), "stat");
	CHECK(kVolumeTimeUnknown == entry.mtime, "a file written before the clock was set has no time");
	CHECK_CODE(VOLUME_OK, gVolume->stat("/data.bin", &entry), "stat");
	CHECK(4000 == entry.size, "size after append");
	CHECK((entry.mtime >= 1765000000) && (entry.mtime <= 1765000060), "stamped with the clock's time when closed");
	CHECK_CODE(VOLUME_OK, gVolume->setTime("/clock.txt", 946684800), "setTime (MFMT)");
	unmountBackend();
	CHECK_CODE(VOLUME_OK, mountBackend(), "remount");
	CHECK_CODE(VOLUME_OK, gVolume->stat("/clock.txt", &entry), "stat");
	CHECK(946684800 == entry.mtime, "the time set survives a remount");
	unmountBackend();
	CHECK(!c_strcmp(readTimeAttribute("/clock.txt", &result), "") && (946684800 == result), "on flash: attribute 0x74, 8 bytes, little endian");
}

static uint64_t doubleBits(double value)
{
	union {double value; uint64_t bits;} u;

	u.value = value;
	return u.bits;
}

// tests/emu/rom.c stands in for the ESP8266 ROM's arithmetic, which everything above leans on:
// known results, with operands the compiler cannot fold.
static void testRom(void)
{
	volatile uint32_t a = 1000000007, b = 97;
	volatile int32_t c = -7, d = 2;
	volatile uint64_t e = 1000000000000000000ULL, f = 7, g = 0x100000001ULL, h = 0xFFFFFFFFFFFFFFFFULL;
	volatile double x = 0.1, y = 0.2, z = 3, big = 1e308, half = 0.5;
	volatile uint32_t u = 4294967295U;
	volatile double fraction = 3.99, negative = -3.99, block = 4096;

	CHECK((10309278 == (a / b)) && (41 == (a % b)), "32-bit unsigned division");
	CHECK((-3 == (c / d)) && (-1 == (c % d)), "32-bit signed division");
	CHECK((142857142857142857ULL == (e / f)) && (1 == (e % f)), "64-bit division");
	CHECK((0x200000001ULL == (g * g)) && (1 == (h * h)), "64-bit multiplication");
	CHECK(0x3FD3333333333334ULL == doubleBits(x * z), "0.1 × 3 rounds to 0.30000000000000004");
	CHECK(0x3FD3333333333334ULL == doubleBits(x + y), "0.1 + 0.2 rounds to 0.30000000000000004");
	CHECK(0x7FF0000000000000ULL == doubleBits(big * (x * 100)), "overflow to infinity");
	CHECK(0 == doubleBits(half - half), "x - x is +0");
	CHECK((4294967295.0 == (double)u) && (-7.0 == (double)c), "integers to doubles");
	CHECK((3 == (uint32_t)fraction) && (-3 == (int32_t)negative), "doubles to integers truncate");
	CHECK((262144.0 == (block * 64)) && (2.25 == ((half * 3) * (half * 3))), "products");
}

static void testFlashRules(void)
{
	const EmuFlashStatsRecord *stats = emuFlashStats();

	emuPrint("# flash: %u reads (%u bytes), %u programs (%u bytes), %u sector erases\n",
		(unsigned)stats->reads, (unsigned)stats->bytesRead, (unsigned)stats->writes, (unsigned)stats->bytesWritten, (unsigned)stats->erases);
	CHECK(0 == stats->violations, "calls against the SDK's or NOR's rules");
	CHECK(0 == stats->unerasedPrograms, "programs over bits not erased");
	CHECK(0 == stats->masked, "the flash interrupt is left masked");
	CHECK(stats->writes && stats->erases && stats->reads, "the flash was used");
}

int main(void)
{
	emuPrint("# the volume on the ESP8266's CPU (lx106): LittleFS on the storage partition, a simulated NOR flash\n");
	emuFlashInit();
	run("the ROM's arithmetic the firmware calls (tests/emu/rom.c): division, 64-bit products, doubles", testRom);
	run("format: a blank region is formatted on mount, 64 blocks of 4 KiB", testFormat);
	run("files of 0 to 70000 bytes written from odd addresses in odd pieces, read back after a remount", testOddWrites);
	run("folders and listings: names, sizes, times", testListing);
	run("rename replaces the target in one step", testRenameReplaces);
	run("remove: files, an emptied folder; space comes back", testRemove);
	run("a full volume: ENOSPC, the volume still mounts, space comes back", testFull);
	run("a file open for reading, removed: the volume filled meanwhile, it reads its own bytes to the end", testOpenRemoved);
	run("a file open for reading, appended to: the volume filled meanwhile, it reads its own bytes to the end", testOpenAppended);
	run("a power cut while a file is rewritten leaves the old file whole", testPowerCut);
	run("volume.h (ftpsock's API): write, append, resume, read at offsets; times from the SDK's clock", testCApiAndTimes);
	run("the flash is used as the SDK and NOR allow", testFlashRules);
	emuPrint("%d passed, %d failed\n", gPassed, gFailed);
	return gFailed ? 1 : 0;
}
