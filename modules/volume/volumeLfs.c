/*
 * LittleFS itself: the SDK's lfs.c, compiled in this file (instead of being listed in the
 * manifest) so that the functions below can use its internals.
 *
 * - Listing. Reading each entry's modification time by path (lfs_getattr) looked the path up
 *   again: a scan of the directory per entry, so a listing was quadratic (8 listings/s of
 *   500 entries on the host). volumeLfsDirAttribute reads the attribute from the metadata
 *   pair that lfs_dir_read has just read the entry from. volumeLfsDirRead goes further: it
 *   reads an entry's name, size and time in one backward scan of the pair's log, where
 *   lfs_dir_read and that attribute scanned it three times.
 * - Stat. lfs_stat and lfs_getattr each look the path up; volumeLfsStat does it once.
 * - Fetch cache (the image on the Linux host). Every lookup of a path fetches each metadata
 *   pair of each folder on the way, up to the one that holds the name: LittleFS reads the
 *   pair's whole log and checksums it a byte at a time, each time. An upload of a new name to
 *   a folder of 200 files cost 1.8 M instructions, 0.5 M in an empty one: its STOR's check of
 *   the target and its rename each walk every pair, as a new name sorts after the others
 *   (names are kept in order across a folder's pairs). volumeFetchmatch keeps, for the last
 *   fetches, each pair's result and the names its log holds, with the count of writes of its
 *   two blocks then (the volume's prog and erase count them). A pair whose blocks were not
 *   written since answers a plain fetch from there, and a lookup of a name that sorts after
 *   every name in its log: LittleFS would find nothing there and go on to the next pair, and
 *   the cache says the same. Anything else, or a pair written since, is LittleFS's own fetch.
 * - Files open for reading (every device and the host). LittleFS's allocator counts as used the
 *   blocks its directories reach and those of files open for writing, not those of a file open
 *   for reading, which reads the blocks its entry named when it was opened: once the entry is
 *   removed or renamed over (another session's DELE, or a replacing STOR, while a download is
 *   in progress), or its file appended to (APPE, or REST + STOR, which copy the last block and
 *   free it), the next writes could take those blocks and the download went on sending their
 *   new bytes. volumeTraverse has the allocator's scan (lfs_fs_rawtraverse) also count the
 *   blocks of every file open for reading, until it is closed: a walk of its skip list per
 *   scan (a scan per lookahead window of allocations) while a download is open.
 * - Cached reads (the Linux host, as comparing below): see volumeCachedRead. A metadata log read
 *   backwards (each entry of a listing) fills the read cache with the log at once.
 * - Reads in place (the image on the Linux host): volumeLfsFileRun locates a file's bytes in
 *   its data blocks as lfs_file_read does, without copying them, so they can be sent from
 *   the image's mapping. It locates 64 blocks at a time (volumeLfsLocate), where
 *   lfs_file_read looks for each block from the file's last one.
 * - Comparing (where MODDEF_VOLUME_LFS_COMPARE is defined: the Linux host). LittleFS reads
 *   back every byte it programs (lfs_bd_flush validates through lfs_bd_cmp) and compares
 *   names the same way, 8 bytes per lfs_bd_read call: 15 of the 18 instructions per byte an
 *   upload cost. The same comparison in chunks of MODDEF_VOLUME_LFS_COMPARE bytes (same reads
 *   through the same caches, same result) replaces it. The devices keep LittleFS's own: the
 *   chunk lives on the stack, and there the flash reads cost more than the calls.
 *   The replacements are by the preprocessor, since lfs_bd_cmp and lfs_bd_read are static:
 *   each macro turns the definition `lfs_bd_xxx(lfs_t *lfs, ...)` into one under another
 *   name, and the calls `lfs_bd_xxx(lfs, ...)` into calls of ours (it pastes the first token
 *   of the first argument; a call whose first argument is not `lfs` fails to compile, by
 *   design, as does a change of either function's parameters).
 * - Padding (where MODDEF_VOLUME_LFS_PAD is defined: the Linux host). After programming its
 *   prog cache, LittleFS fills the whole cache with 0xFF (lfs_cache_zero), so that the bytes
 *   of a program unit it did not write (the padding up to prog_size) are 0xFF: 4 KiB of
 *   memset per 4 KiB block of an upload, half of the instructions an upload cost per byte on
 *   the host (callgrind counts the `rep stosb` byte by byte). volumeFlush programs the cache
 *   as lfs_bd_flush does but fills only those bytes, when a program needs them: the tail of
 *   the last unit at the flush, and (volumeProg) the bytes a write leaves unwritten before
 *   it in its first unit, or between it and the bytes before it in the cache. What reaches
 *   the device is byte for byte what LittleFS would have programmed. LittleFS fills a cache
 *   the same way when it opens a file and when it mounts (lfs_cache_zero): that fill (a 4 KiB
 *   memset per RETR on the host) goes too, as the fill of what is programmed no longer needs it.
 * - No read-back of a copy (the image on the Linux host). LittleFS validates a flush by
 *   reading the programmed bytes back and comparing them (lfs_bd_flush). On the image, a
 *   prog is a copy into memory (volumeImage.c gathers progs and writes them to the file; an
 *   image that fails fails the prog, or the next one, or the sync) and the read-back would
 *   find what was copied. The comparison cost 0.3 instructions per byte uploaded in
 *   LittleFS's 8-byte steps, and a memcmp of the mapping still took 13% of the server's time
 *   for a 16 MiB upload (perf); devices, whose flash can fail a program, keep it.
 */
#include "mc.defines.h"
#include "lfs.h"
#include "lfs_util.h"
#include "volumeLfs.h"
#ifdef MODDEF_VOLUME_LFS_PAD
	#include "volumeBackend.h"		// kVolumeHasPartition
#endif

#ifdef MODDEF_VOLUME_LFS_COMPARE
static int volumeCompare(lfs_t *lfs, const lfs_cache_t *pcache, lfs_cache_t *rcache, lfs_size_t hint,
		lfs_block_t block, lfs_off_t off, const void *buffer, lfs_size_t size);
	#define lfs_bd_cmp(first, ...) VOLUME_LFS_BD_CMP_##first, __VA_ARGS__)
	#define VOLUME_LFS_BD_CMP_lfs_t lfsCompareReplaced(lfs_t
	#define VOLUME_LFS_BD_CMP_lfs volumeCompare(lfs

// LittleFS's own lfs_bd_read, renamed by the macro below.
static int lfsReadCached(lfs_t *lfs, const lfs_cache_t *pcache, lfs_cache_t *rcache, lfs_size_t hint,
		lfs_block_t block, lfs_off_t off, void *buffer, lfs_size_t size);

// Fetching a metadata pair reads its log a tag (4 bytes) and then a byte at a time, for the
// CRC: lfs_bd_read calls, nearly all answered by the read cache, were a quarter of the
// instructions of a small upload. This answers them inline when the read cache holds all the
// bytes and the prog cache none of them (lfs_bd_read gives the prog cache priority), and
// leaves every other case to LittleFS.
static inline int volumeCachedRead(lfs_t *lfs, const lfs_cache_t *pcache, lfs_cache_t *rcache, lfs_size_t hint,
		lfs_block_t block, lfs_off_t off, void *buffer, lfs_size_t size)
{
	if ((block == rcache->block) && (off >= rcache->off) && (off + size <= rcache->off + rcache->size)
			&& (block < lfs->cfg->block_count)
			&& (!pcache || (block != pcache->block) || (off + size <= pcache->off) || (off >= pcache->off + pcache->size))) {
		const uint8_t *from = &rcache->buffer[off - rcache->off];
		if (1 == size)
			*(uint8_t *)buffer = *from;
		else
			c_memcpy(buffer, from, size);
		return 0;
	}
	if ((block == rcache->block) && (off < rcache->off) && (block < lfs->cfg->block_count) && (size <= lfs->cfg->cache_size)
			&& (!pcache || (block != pcache->block) || (off + size <= pcache->off) || (off >= pcache->off + pcache->size))) {
		// Just before the cached bytes: a metadata log read backwards (lfs_dir_getslice, for
		// each entry of a listing, from the log's end). LittleFS would load read_size bytes
		// (its hint is a tag's 4) and miss again 16 bytes on; this loads the cache's size
		// ending with the bytes asked for, the whole log at once. The bytes the prog cache
		// holds are always answered from it first, as LittleFS's own loads also assume.
		lfs_off_t end = lfs_min(lfs_alignup(off + size, lfs->cfg->read_size), lfs->cfg->block_size);
		lfs_off_t start = (end > lfs->cfg->cache_size) ? (end - lfs->cfg->cache_size) : 0;
		int error = lfs->cfg->read(lfs->cfg, block, start, rcache->buffer, end - start);
		if (error) {
			rcache->block = (lfs_block_t)-1;		// LFS_BLOCK_NULL (lfs.c, included below): nothing cached
			return error;
		}
		rcache->block = block;
		rcache->off = start;
		rcache->size = end - start;
		c_memcpy(buffer, &rcache->buffer[off - start], size);
		return 0;
	}
	return lfsReadCached(lfs, pcache, rcache, hint, block, off, buffer, size);
}
	#define lfs_bd_read(first, ...) VOLUME_LFS_BD_READ_##first, __VA_ARGS__)
	#define VOLUME_LFS_BD_READ_lfs_t lfsReadCached(lfs_t
	#define VOLUME_LFS_BD_READ_lfs volumeCachedRead(lfs
#endif

#ifdef MODDEF_VOLUME_LFS_PAD
static int volumeFlush(lfs_t *lfs, lfs_cache_t *pcache, lfs_cache_t *rcache, bool validate);
static int volumeProg(lfs_t *lfs, lfs_cache_t *pcache, lfs_cache_t *rcache, bool validate,
		lfs_block_t block, lfs_off_t off, const void *buffer, lfs_size_t size);
	#define lfs_bd_flush(first, ...) VOLUME_LFS_BD_FLUSH_##first, __VA_ARGS__)
	#define VOLUME_LFS_BD_FLUSH_lfs_t lfsFlushReplaced(lfs_t
	#define VOLUME_LFS_BD_FLUSH_lfs volumeFlush(lfs
	#define lfs_bd_prog(first, ...) VOLUME_LFS_BD_PROG_##first, __VA_ARGS__)
	#define VOLUME_LFS_BD_PROG_lfs_t lfsProgCached(lfs_t
	#define VOLUME_LFS_BD_PROG_lfs volumeProg(lfs
// lfs_cache_zero without its fill: volumeFlush and volumeProg pad what they program
static inline void volumeCacheZero(lfs_t *lfs, lfs_cache_t *pcache);
	#define lfs_cache_zero(first, ...) VOLUME_LFS_CACHE_ZERO_##first, __VA_ARGS__)
	#define VOLUME_LFS_CACHE_ZERO_lfs_t lfsCacheZeroReplaced(lfs_t
	#define VOLUME_LFS_CACHE_ZERO_lfs volumeCacheZero(lfs
#endif

#ifdef MODDEF_VOLUME_LFS_CRC
// volumeCrc.c's tables (the Linux host's lfs_crc)
extern uint32_t gVolumeCrcTables[8][256];
extern uint8_t gVolumeCrcBuilt;
void volumeCrcBuild(void);

// lfs_crc, inline where LittleFS checksums a few bytes: fetching a metadata pair checksums
// each tag (4 bytes) and then each entry a byte at a time (lfs_dir_fetchmatch), and the call
// cost more than the byte's step; longer runs go to volumeCrc.c's 8 bytes per step. Same
// CRC, same results (tests/crc.test.js checks volumeCrc.c against the SDK's).
static inline uint32_t volumeCrcShort(uint32_t crc, const void *buffer, size_t size)
{
	const uint8_t *data = buffer;

	if (size > 8)
		return lfs_crc(crc, buffer, size);
	if (!gVolumeCrcBuilt)
		volumeCrcBuild();
	while (size--)
		crc = (crc >> 8) ^ gVolumeCrcTables[0][(crc ^ *data++) & 0xFF];
	return crc;
}
	#define lfs_crc volumeCrcShort
#endif

#if MODDEF_VOLUME_IMAGE
struct lfs_mdir;
static int32_t volumeFetchmatch(lfs_t *lfs, struct lfs_mdir *dir, const lfs_block_t pair[2], uint32_t fmask, uint32_t ftag, uint16_t *id,
		int (*cb)(void *data, uint32_t tag, const void *buffer), void *data);
	#define lfs_dir_fetchmatch(first, ...) VOLUME_LFS_FETCH_##first, __VA_ARGS__)
	#define VOLUME_LFS_FETCH_lfs_t lfsFetchmatchReplaced(lfs_t
	#define VOLUME_LFS_FETCH_lfs volumeFetchmatch(lfs
#endif

static int volumeTraverse(lfs_t *lfs, int (*cb)(void *data, lfs_block_t block), void *data, bool includeorphans);
	#define lfs_fs_rawtraverse(first, ...) VOLUME_LFS_TRAVERSE_##first, __VA_ARGS__)
	#define VOLUME_LFS_TRAVERSE_lfs_t lfsTraverseReplaced(lfs_t
	#define VOLUME_LFS_TRAVERSE_lfs volumeTraverse(lfs

#ifndef LFS_READONLY
// (lfs_tag_t, which lfs.c defines, is uint32_t)
struct lfs_mattr;
static int volumeDirWalk(lfs_t *lfs, const struct lfs_mdir *dir, lfs_off_t off, uint32_t ptag,
		const struct lfs_mattr *attrs, int attrcount, uint32_t tmask, uint32_t ttag,
		uint16_t begin, uint16_t end, int16_t diff,
		int (*cb)(void *data, uint32_t tag, const void *buffer), void *data);
	#define lfs_dir_traverse(first, ...) VOLUME_LFS_DIR_TRAVERSE_##first, __VA_ARGS__)
	#define VOLUME_LFS_DIR_TRAVERSE_lfs_t lfsDirTraverseReplaced(lfs_t
	#define VOLUME_LFS_DIR_TRAVERSE_lfs volumeDirWalk(lfs
#endif

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "lfs.c"
#pragma GCC diagnostic pop
#undef lfs_fs_rawtraverse
#undef lfs_dir_traverse

// lfs_bd_read for the functions below, whatever its first argument is named (the macro above
// pastes it): renamed and answered inline when cached where reads are replaced
#ifdef MODDEF_VOLUME_LFS_COMPARE
	#define volumeLfsRead volumeCachedRead
#else
	#define volumeLfsRead lfs_bd_read
#endif
#if MODDEF_VOLUME_IMAGE
#undef lfs_dir_fetchmatch

#define kFetchEntries (64)			// pairs remembered (direct-mapped by their lower block)
#define kFetchNames (1024)			// bytes of names per pair: a log of metadata_max (1024) holds fewer
#define kFetchNameCount (96)

typedef struct {
	lfs_block_t low, high;			// the pair, in block order; low LFS_BLOCK_NULL: empty
	uint32_t lowWrites, highWrites;	// the blocks' counts of writes when it was fetched
	uint32_t lowErases, highErases;	// and of erases
	lfs_mdir_t dir;
	uint8_t named;					// the names below are every name tag of the log
	uint8_t count;
	uint16_t used;
	uint16_t length[kFetchNameCount];
	uint8_t names[kFetchNames];
} VolumeFetchEntry;

static VolumeFetchEntry *gFetchEntries = NULL;
static uint32_t *gFetchWrites = NULL;		// per block
static uint32_t *gFetchErases = NULL;		// per block: what was fetched from it holds until it is erased
static lfs_size_t gFetchBlocks = 0;
static int (*gFetchProg)(const struct lfs_config *config, lfs_block_t block, lfs_off_t off, const void *buffer, lfs_size_t size);
static int (*gFetchErase)(const struct lfs_config *config, lfs_block_t block);

// A write makes what was fetched from the block stale: counted before it is made.
static int fetchCountedProg(const struct lfs_config *config, lfs_block_t block, lfs_off_t off, const void *buffer, lfs_size_t size)
{
	if (block < gFetchBlocks)
		gFetchWrites[block]++;
	return gFetchProg(config, block, off, buffer, size);
}

static int fetchCountedErase(const struct lfs_config *config, lfs_block_t block)
{
	if (block < gFetchBlocks) {
		gFetchWrites[block]++;
		gFetchErases[block]++;
	}
	return gFetchErase(config, block);
}

uint32_t gVolumeLfsFetchHits = 0;
uint32_t gVolumeLfsFetchReplays = 0;
uint32_t gVolumeLfsFetchResumes = 0;

int volumeLfsFetchCacheStart(struct lfs_config *config)
{
	volumeLfsFetchCacheStop();
	gFetchEntries = c_malloc(kFetchEntries * sizeof(VolumeFetchEntry));
	gFetchWrites = c_calloc(config->block_count, sizeof(uint32_t));
	gFetchErases = c_calloc(config->block_count, sizeof(uint32_t));
	if (!gFetchEntries || !gFetchWrites || !gFetchErases) {
		volumeLfsFetchCacheStop();
		return LFS_ERR_NOMEM;
	}
	for (int i = 0; i < kFetchEntries; i++)
		gFetchEntries[i].low = LFS_BLOCK_NULL;
	gFetchBlocks = config->block_count;
	if (fetchCountedProg != config->prog) {		// (a config mounted again counts already)
		gFetchProg = config->prog;
		gFetchErase = config->erase;
		config->prog = fetchCountedProg;
		config->erase = fetchCountedErase;
	}
	return 0;
}

// The config keeps the counting prog and erase: they only count while the cache lives.
void volumeLfsFetchCacheStop(void)
{
	c_free(gFetchEntries);
	c_free(gFetchWrites);
	c_free(gFetchErases);
	gFetchEntries = NULL;
	gFetchWrites = NULL;
	gFetchErases = NULL;
	gFetchBlocks = 0;
}

// The fetch's callback, seen first: keeps each name tag's name for the cache.
typedef struct {
	int (*cb)(void *data, lfs_tag_t tag, const void *buffer);
	void *data;
	lfs_t *lfs;
	VolumeFetchEntry *entry;		// being filled; NULL once it cannot be
} VolumeFetchWatch;

static int fetchWatchName(void *data, lfs_tag_t tag, const void *buffer)
{
	VolumeFetchWatch *watch = data;
	const struct lfs_diskoff *disk = buffer;
	VolumeFetchEntry *entry = watch->entry;
	lfs_size_t size = lfs_tag_size(tag);
	int result;

	if (entry) {
		if ((entry->count == kFetchNameCount) || (entry->used + size > kFetchNames)
				|| volumeLfsRead(watch->lfs, NULL, &watch->lfs->rcache, size, disk->block, disk->off, entry->names + entry->used, size))
			watch->entry = NULL;
		else {
			entry->length[entry->count++] = size;
			entry->used += size;
		}
	}
	result = watch->cb(watch->data, tag, buffer);
	if (result < 0)
		watch->entry = NULL;		// a failed read may have changed what the fetch found
	return result;
}

// Whether every name in the entry is less than `name` as lfs_dir_find_match orders them (the
// bytes both have, then, when those are equal, the longer name first): then no tag of the log
// matches it and none is greater, and LittleFS's fetch would find nothing there.
static int fetchAllBefore(const VolumeFetchEntry *entry, const struct lfs_dir_find_match *name)
{
	const uint8_t *at = entry->names;

	for (int i = 0; i < entry->count; at += entry->length[i], i++) {
		lfs_size_t length = entry->length[i];
		int order = c_memcmp(at, name->name, lfs_min(length, name->size));
		if ((order > 0) || (!order && (name->size >= length)))
			return 0;
	}
	return 1;
}

// A lookup by name in a pair the cache holds as it is (`dir`, whose log's commits were all
// checked by the fetch that filled it): LittleFS's fetch again, its match steps only, over the
// tags of the log up to dir->off, without the CRC of every byte (most of a fetch's
// instructions, and a RETR's single lookup is such a fetch of the root's log). Same answer as
// the fetch: the best tag kept at each commit's end (the last is at dir->off), then the same
// return. kFetchReplayFailed when a read or a compare fails: the caller fetches, which reports
// the error as LittleFS does.
#define kFetchReplayFailed (-0x7FFFFFFF)

// LittleFS's fetch, its steps on a lookup's best tag (the replay and the resumed fetch share
// them): a create or delete moves or drops it; a name compared makes it the match, forgets an
// overwritten one, or keeps the next greater name's id for the sort; and its answer at the end.
static inline void fetchSpliced(lfs_tag_t tag, lfs_stag_t *best)
{
	if (tag == (LFS_MKTAG(LFS_TYPE_DELETE, 0, 0) | (LFS_MKTAG(0, 0x3ff, 0) & *best)))
		*best |= 0x80000000;
	else if ((*best != -1) && (lfs_tag_id(tag) <= lfs_tag_id(*best)))
		*best += LFS_MKTAG(0, lfs_tag_splice(tag), 0);
}

static inline void fetchMatched(lfs_tag_t tag, int order, lfs_stag_t *best)
{
	if (LFS_CMP_EQ == order)
		*best = tag;
	else if ((LFS_MKTAG(0x7ff, 0x3ff, 0) & tag) == (LFS_MKTAG(0x7ff, 0x3ff, 0) & *best))
		*best = -1;
	else if ((LFS_CMP_GT == order) && (lfs_tag_id(tag) <= lfs_tag_id(*best)))
		*best = tag | 0x80000000;
}

static lfs_stag_t fetchAnswer(const lfs_mdir_t *dir, lfs_stag_t besttag, uint16_t *id)
{
	if (id)
		*id = lfs_min(lfs_tag_id(besttag), dir->count);
	if (lfs_tag_isvalid(besttag))
		return besttag;
	if (lfs_tag_id(besttag) < dir->count)
		return LFS_ERR_NOENT;
	return 0;
}

static lfs_stag_t fetchReplayBest(lfs_t *lfs, const lfs_mdir_t *dir, lfs_tag_t fmask, lfs_tag_t ftag,
		int (*cb)(void *data, lfs_tag_t tag, const void *buffer), void *data, lfs_stag_t *best);

static lfs_stag_t fetchReplay(lfs_t *lfs, const lfs_mdir_t *dir, lfs_tag_t fmask, lfs_tag_t ftag, uint16_t *id,
		int (*cb)(void *data, lfs_tag_t tag, const void *buffer), void *data)
{
	lfs_stag_t besttag;
	if (fetchReplayBest(lfs, dir, fmask, ftag, cb, data, &besttag))
		return kFetchReplayFailed;
	return fetchAnswer(dir, besttag, id);
}

// The best tag of a lookup at dir->off (the end of a commit, where LittleFS's fetch keeps it):
// 0, or nonzero when a read or a compare fails.
static lfs_stag_t fetchReplayBest(lfs_t *lfs, const lfs_mdir_t *dir, lfs_tag_t fmask, lfs_tag_t ftag,
		int (*cb)(void *data, lfs_tag_t tag, const void *buffer), void *data, lfs_stag_t *best)
{
	lfs_stag_t besttag = -1, tempbesttag = -1;
	lfs_tag_t ptag = 0xffffffff;
	lfs_off_t off = 0;

	for (;;) {
		lfs_tag_t tag;
		off += lfs_tag_dsize(ptag);
		if (off >= dir->off)
			break;
		if (volumeLfsRead(lfs, NULL, &lfs->rcache, lfs->cfg->block_size, dir->pair[0], off, &tag, sizeof(tag)))
			return kFetchReplayFailed;
		tag = lfs_frombe32(tag) ^ ptag;
		if (!lfs_tag_isvalid(tag))
			return kFetchReplayFailed;		// not what the fetch found: it ended its log at dir->off
		ptag = tag;
		if (LFS_TYPE_CRC == lfs_tag_type1(tag)) {
			ptag ^= (lfs_tag_t)(lfs_tag_chunk(tag) & 1U) << 31;
			besttag = tempbesttag;
			continue;
		}
		if (LFS_TYPE_SPLICE == lfs_tag_type1(tag)) {
			fetchSpliced(tag, &tempbesttag);
		}
		if ((fmask & tag) == (fmask & ftag)) {
			int order = cb(data, tag, &(struct lfs_diskoff){dir->pair[0], off + sizeof(tag)});
			if (order < 0)
				return kFetchReplayFailed;
			fetchMatched(tag, order, &tempbesttag);
		}
	}
	*best = besttag;
	return 0;
}

/*
	A pair fetched before whose blocks were written since but neither erased: LittleFS only
	appends commits to a pair's newer block until it erases one of them, so its log is the one
	fetched, unchanged up to dir->off, and then the commits made since. LittleFS's fetch, resumed
	at dir->off with what it had found there (the lookup's best tag from a replay of the log up
	to there): the commits since are checked and read as it reads them, the bytes before are not
	checksummed again. Returns as lfs_dir_fetchmatch, or kFetchReplayFailed (the caller fetches).
*/
static lfs_stag_t fetchResume(lfs_t *lfs, lfs_mdir_t *dir, lfs_tag_t fmask, lfs_tag_t ftag, uint16_t *id,
		int (*cb)(void *data, lfs_tag_t tag, const void *buffer), void *data)
{
	lfs_stag_t besttag = -1, tempbesttag;
	lfs_off_t off = dir->off;
	lfs_tag_t ptag = dir->etag;
	uint16_t tempcount = dir->count;
	lfs_block_t temptail[2] = {dir->tail[0], dir->tail[1]};
	bool tempsplit = dir->split;
	uint32_t crc = 0xffffffff;

	if (cb && fetchReplayBest(lfs, dir, fmask, ftag, cb, data, &besttag))
		return kFetchReplayFailed;
	tempbesttag = besttag;
	for (;;) {
		lfs_tag_t tag;
		int error;

		// LittleFS reads the tag at the end of the one before (dir->off, then each next one)
		error = volumeLfsRead(lfs, NULL, &lfs->rcache, lfs->cfg->block_size, dir->pair[0], off, &tag, sizeof(tag));
		if (error) {
			if (LFS_ERR_CORRUPT == error) {
				dir->erased = false;
				break;
			}
			return error;
		}
		crc = lfs_crc(crc, &tag, sizeof(tag));
		tag = lfs_frombe32(tag) ^ ptag;
		if (!lfs_tag_isvalid(tag)) {
			dir->erased = (lfs_tag_type1(ptag) == LFS_TYPE_CRC) && ((dir->off % lfs->cfg->prog_size) == 0);
			break;
		}
		if ((off + lfs_tag_dsize(tag)) > lfs->cfg->block_size) {
			dir->erased = false;
			break;
		}
		ptag = tag;
		if (LFS_TYPE_CRC == lfs_tag_type1(tag)) {
			uint32_t dcrc;
			error = volumeLfsRead(lfs, NULL, &lfs->rcache, lfs->cfg->block_size, dir->pair[0], off + sizeof(tag), &dcrc, sizeof(dcrc));
			if (error) {
				if (LFS_ERR_CORRUPT == error) {
					dir->erased = false;
					break;
				}
				return error;
			}
			if (crc != lfs_fromle32(dcrc)) {
				dir->erased = false;
				break;
			}
			ptag ^= (lfs_tag_t)(lfs_tag_chunk(tag) & 1U) << 31;
			lfs->seed = lfs_crc(lfs->seed, &crc, sizeof(crc));
			besttag = tempbesttag;
			dir->off = off + lfs_tag_dsize(tag);
			dir->etag = ptag;
			dir->count = tempcount;
			dir->tail[0] = temptail[0];
			dir->tail[1] = temptail[1];
			dir->split = tempsplit;
			crc = 0xffffffff;
			off += lfs_tag_dsize(tag);
			continue;
		}
		{
			// the entry's bytes, in place when the read cache holds them
			lfs_size_t size = lfs_tag_dsize(tag) - sizeof(tag);
			lfs_off_t at = off + sizeof(tag);
			lfs_cache_t *rcache = &lfs->rcache;
			if ((dir->pair[0] == rcache->block) && (at >= rcache->off) && (at + size <= rcache->off + rcache->size))
				crc = lfs_crc(crc, &rcache->buffer[at - rcache->off], size);
			else {
				lfs_off_t j;
				for (j = 0; j < size; j++) {
					uint8_t byte;
					error = volumeLfsRead(lfs, NULL, rcache, lfs->cfg->block_size, dir->pair[0], at + j, &byte, 1);
					if (error) {
						if (LFS_ERR_CORRUPT != error)
							return error;
						dir->erased = false;		// and the tag is read on, as LittleFS does
						break;
					}
					crc = lfs_crc(crc, &byte, 1);
				}
			}
		}
		if (LFS_TYPE_NAME == lfs_tag_type1(tag)) {
			if (lfs_tag_id(tag) >= tempcount)
				tempcount = lfs_tag_id(tag) + 1;
		}
		else if (LFS_TYPE_SPLICE == lfs_tag_type1(tag)) {
			tempcount += lfs_tag_splice(tag);
			fetchSpliced(tag, &tempbesttag);
		}
		else if (LFS_TYPE_TAIL == lfs_tag_type1(tag)) {
			tempsplit = (lfs_tag_chunk(tag) & 1);
			error = volumeLfsRead(lfs, NULL, &lfs->rcache, lfs->cfg->block_size, dir->pair[0], off + sizeof(tag), &temptail, 8);
			if (error) {
				if (LFS_ERR_CORRUPT == error) {
					dir->erased = false;
					break;
				}
			}
			lfs_pair_fromle32(temptail);
		}
		if (cb && ((fmask & tag) == (fmask & ftag))) {
			int order = cb(data, tag, &(struct lfs_diskoff){dir->pair[0], off + sizeof(tag)});
			if (order < 0) {
				if (LFS_ERR_CORRUPT == order) {
					dir->erased = false;
					break;
				}
				return order;
			}
			fetchMatched(tag, order, &tempbesttag);
		}
		off += lfs_tag_dsize(tag);
	}
	return fetchAnswer(dir, besttag, id);
}

static int32_t volumeFetchmatch(lfs_t *lfs, lfs_mdir_t *dir, const lfs_block_t pair[2], lfs_tag_t fmask, lfs_tag_t ftag, uint16_t *id,
		int (*cb)(void *data, lfs_tag_t tag, const void *buffer), void *data)
{
	// a plain fetch (lfs_dir_fetch) and a lookup by name (lfs_dir_find); every other is LittleFS's
	int plain = ((lfs_tag_t)-1 == fmask) && ((lfs_tag_t)-1 == ftag) && !cb && !id;
	int find = (lfs_dir_find_match == cb) && (LFS_MKTAG(0x780, 0, 0) == fmask) && !(fmask & ftag);
	lfs_block_t low, high;
	VolumeFetchEntry *entry;
	VolumeFetchWatch watch;
	lfs_stag_t result;

	if (!gFetchEntries || (!plain && !find) || (pair[0] >= gFetchBlocks) || (pair[1] >= gFetchBlocks))
		return lfsFetchmatchReplaced(lfs, dir, pair, fmask, ftag, id, cb, data);
	low = lfs_min(pair[0], pair[1]);
	high = lfs_max(pair[0], pair[1]);
	entry = &gFetchEntries[low % kFetchEntries];
	if ((entry->low == low) && (entry->high == high) && ((entry->lowWrites != gFetchWrites[low]) || (entry->highWrites != gFetchWrites[high]))
			&& (entry->lowErases == gFetchErases[low]) && (entry->highErases == gFetchErases[high])
			&& !lfs_gstate_hasmovehere(&lfs->gdisk, pair)) {
		// written since, not erased: the commits since are read on from where the fetch ended
		lfs_mdir_t resumed = entry->dir;
		result = fetchResume(lfs, &resumed, plain ? 0 : fmask, ftag, id, plain ? NULL : cb, data);
		if (kFetchReplayFailed != result) {
			if ((result >= 0) || (LFS_ERR_NOENT == result)) {
				gVolumeLfsFetchResumes++;
				entry->dir = resumed;
				entry->lowWrites = gFetchWrites[low];
				entry->highWrites = gFetchWrites[high];
				entry->named = 0;		// the names of the commits since are not kept
				*dir = resumed;
				return result;
			}
			entry->low = LFS_BLOCK_NULL;
			return result;
		}
	}
	if ((entry->low == low) && (entry->high == high) && (entry->lowWrites == gFetchWrites[low]) && (entry->highWrites == gFetchWrites[high])
			&& !lfs_gstate_hasmovehere(&lfs->gdisk, pair)) {
		if (plain) {
			gVolumeLfsFetchHits++;
			*dir = entry->dir;
			return 0;
		}
		if (entry->named && fetchAllBefore(entry, data)) {
			gVolumeLfsFetchHits++;
			*dir = entry->dir;
			if (id)
				*id = entry->dir.count;
			return 0;
		}
		result = fetchReplay(lfs, &entry->dir, fmask, ftag, id, cb, data);
		if (kFetchReplayFailed != result) {
			gVolumeLfsFetchReplays++;
			*dir = entry->dir;
			return result;
		}
	}
	entry->low = LFS_BLOCK_NULL;
	entry->named = entry->count = 0;
	entry->used = 0;
	if (find) {
		watch.cb = cb;
		watch.data = data;
		watch.lfs = lfs;
		watch.entry = entry;
		result = lfsFetchmatchReplaced(lfs, dir, pair, fmask, ftag, id, fetchWatchName, &watch);
		entry->named = (watch.entry != NULL);
	}
	else
		result = lfsFetchmatchReplaced(lfs, dir, pair, fmask, ftag, id, cb, data);
	// a whole log read (found, or not there, or a later name there): the pair as it is now
	if ((result >= 0) || (LFS_ERR_NOENT == result)) {
		entry->low = low;
		entry->high = high;
		entry->lowWrites = gFetchWrites[low];
		entry->highWrites = gFetchWrites[high];
		entry->lowErases = gFetchErases[low];
		entry->highErases = gFetchErases[high];
		entry->dir = *dir;
	}
	return result;
}
#endif

// lfs_fs_rawtraverse, and the blocks each file open for reading reads (those its entry named
// when it was opened; the entry may be gone since, or name other blocks): for the allocator,
// of every such file; for lfs_fs_size, which counts each block reported, of those whose
// entry is gone (the others' blocks are mostly their entry's, reported already). Files open
// for writing are LittleFS's own concern (dirty or writing: it traverses them).
static int volumeTraverse(lfs_t *lfs, int (*cb)(void *data, lfs_block_t block), void *data, bool includeorphans)
{
	int error = lfsTraverseReplaced(lfs, cb, data, includeorphans);
	lfs_file_t *file;

	if (error)
		return error;
	for (file = (lfs_file_t *)lfs->mlist; file; file = file->next) {
		if (LFS_TYPE_REG != file->type)
			continue;
		if ((cb != lfs_alloc_lookahead) && (LFS_BLOCK_NULL != file->m.pair[0]))
			continue;
		if (file->flags & (LFS_F_INLINE | LFS_F_DIRTY | LFS_F_WRITING))
			continue;
		error = lfs_ctz_traverse(lfs, NULL, &lfs->rcache, file->ctz.head, file->ctz.size, cb, data);
		if (error)
			return error;
	}
	return 0;
}

#ifdef MODDEF_VOLUME_LFS_PAD
#undef lfs_bd_flush
#undef lfs_bd_prog
#endif

#ifdef MODDEF_VOLUME_LFS_COMPARE
#undef lfs_bd_cmp
#undef lfs_bd_read

static int volumeCompare(lfs_t *lfs, const lfs_cache_t *pcache, lfs_cache_t *rcache, lfs_size_t hint,
		lfs_block_t block, lfs_off_t off, const void *buffer, lfs_size_t size)
{
	const uint8_t *data = buffer;
	uint8_t chunk[MODDEF_VOLUME_LFS_COMPARE];
	lfs_size_t done, count;

	for (done = 0; done < size; done += count) {
		int result;
		count = lfs_min(size - done, sizeof(chunk));
		// the hint shrinks as LittleFS's own loop shrinks it, so the caches fill alike
		result = volumeCachedRead(lfs, pcache, rcache, hint - done, block, off + done, chunk, count);
		if (result)
			return result;
		result = c_memcmp(chunk, data + done, count);
		if (result)
			return (result < 0) ? LFS_CMP_LT : LFS_CMP_GT;
	}
	return LFS_CMP_EQ;
}
#endif

// LittleFS's lfs_bd_read and lfs_bd_cmp, or where they are replaced (the host), ours
#ifdef MODDEF_VOLUME_LFS_COMPARE
	#define readBlock volumeCachedRead
	#define compareBlock volumeCompare
#else
	#define readBlock lfs_bd_read
	#define compareBlock lfs_bd_cmp
#endif

#ifndef LFS_READONLY
// The read cache's buffer once it holds bytes from..to of `block`, loaded if they fit in it
// (one device read where LittleFS reads a log 16 bytes at a time): NULL when they do not fit
// or cannot be read (the caller then reads through lfs_bd_read, which reports the error).
// Valid until the next read.
static const uint8_t *walkCached(lfs_t *lfs, lfs_block_t block, lfs_off_t from, lfs_off_t to)
{
	lfs_cache_t *rcache = &lfs->rcache;
	uint8_t first[sizeof(lfs_tag_t)];

	if ((block != rcache->block) || (from < rcache->off) || (to > rcache->off + rcache->size)) {
		if ((lfs_alignup(to, lfs->cfg->read_size) - lfs_aligndown(from, lfs->cfg->read_size)) > lfs->cfg->cache_size)
			return NULL;
		if (volumeLfsRead(lfs, NULL, rcache, to - from, block, from, first, sizeof(first)))
			return NULL;
		if ((block != rcache->block) || (from < rcache->off) || (to > rcache->off + rcache->size))
			return NULL;
	}
	return rcache->buffer;
}

// One later tag's effect on a filtered tag, as lfs_dir_traverse's scan for duplicates has it:
// 1 when it supersedes the tag (made LFS_FROM_NOOP). The mcu-side tags it passes over.
static inline int walkFilterStep(lfs_tag_t *tag, lfs_tag_t later)
{
	if ((LFS_FROM_NOOP == lfs_tag_type3(later)) || (LFS_FROM_MOVE == lfs_tag_type3(later)))
		return 0;
	return lfs_dir_traverse_filter(tag, later, NULL) ? 1 : 0;
}

// What lfs_dir_traverse's scan for duplicates makes of `tag`, read from dir's log at off: the
// rest of the log and then the commit's attrs, each through lfs_dir_traverse_filter, which
// drops the tag when a later one supersedes it (same name, struct or attribute of the same
// id, or its id deleted) and moves its id past later creates and deletes. LittleFS scans by
// traversing (a bd read and a callback per later tag, for every tag: a compaction was
// quadratic in them, most of an upload's instructions); this reads the log in place when
// the read cache holds it. Stopping at the first tag that supersedes is LittleFS's result:
// a superseded tag does nothing whatever its id becomes.
static int walkFilter(lfs_t *lfs, const lfs_mdir_t *dir, lfs_off_t off, lfs_tag_t ptag,
		const struct lfs_mattr *attrs, int attrcount, lfs_tag_t *tag)
{
	if ((off + lfs_tag_dsize(ptag)) < dir->off) {
		const uint8_t *log = walkCached(lfs, dir->pair[0], off + lfs_tag_dsize(ptag), dir->off);
		while ((off + lfs_tag_dsize(ptag)) < dir->off) {
			lfs_tag_t later;
			off += lfs_tag_dsize(ptag);
			if (log)
				c_memcpy(&later, log + (off - lfs->rcache.off), sizeof(later));
			else {
				int error = volumeLfsRead(lfs, NULL, &lfs->rcache, sizeof(later), dir->pair[0], off, &later, sizeof(later));
				if (error)
					return error;
			}
			later = (lfs_frombe32(later) ^ ptag) | 0x80000000;
			ptag = later;
			if (walkFilterStep(tag, later))
				return 0;
		}
	}
	for (; attrcount > 0; attrs++, attrcount--) {
		if (LFS_FROM_USERATTRS == lfs_tag_type3(attrs->tag)) {
			const struct lfs_attr *attribute = attrs->buffer;
			unsigned i;
			for (i = 0; i < lfs_tag_size(attrs->tag); i++) {
				if (lfs_dir_traverse_filter(tag, LFS_MKTAG(LFS_TYPE_USERATTR + attribute[i].type, lfs_tag_id(attrs->tag), attribute[i].size), NULL))
					return 0;
			}
		}
		else if (walkFilterStep(tag, attrs->tag))
			return 0;
	}
	return 0;
}

#ifdef MODDEF_VOLUME_LFS_WALK_TAGS
/*
	walkFilter's answers for every tag of a walk at once, in time linear in the log (where
	MODDEF_VOLUME_LFS_WALK_TAGS sizes the table: the Linux host). The tags (the log's, then the
	attrs') are read once, forward, then swept backward: each tag's answer is what the tags
	after it make of it, and a sweep keeps that as a state, for every id the tag can have:
	`map`, from an id before the tags already swept to the id it has after all of them (its
	final id), or kWalkGone when one of them deletes it; `hit`, per final id, the kinds of tag
	among them that supersede a tag of that kind and id. A tag is superseded by a later one of
	the same id when their types are equal in what lfs_dir_traverse_filter compares: the whole
	type where the later one is "unique" (0x100 set: user attributes), its type1 otherwise
	(names, structs); kinds are those two type1s and up to kWalkUnique user attribute types.
	Creates and deletes shift the ids above them, as the filter moves a tag's id. A tag of the
	size of a delete is superseded by any later tag. Anything this does not model (a kind it
	cannot count, an id at 0x3ff, a splice of other than one, more tags than the table holds)
	leaves the walk to walkFilter, as does a walk within a walk (a move's, while the table
	serves its caller).
*/
#define kWalkTags (MODDEF_VOLUME_LFS_WALK_TAGS)
#define kWalkIds (0x3ff)					// ids 0..0x3fe; 0x3ff is no id
#define kWalkGone (0xFFFF)
#define kWalkUnique (6)

uint32_t gVolumeLfsWalkSweeps = 0;
uint32_t gVolumeLfsWalkScans = 0;

static struct {
	uint8_t busy;
	uint16_t count;						// tags in `tags`: the log's, then the attrs'
	uint16_t logCount;
	lfs_tag_t tags[kWalkTags];			// each tag, then its answer (LFS_FROM_NOOP: superseded)
	uint16_t map[kWalkIds + 1];
	uint8_t hit[kWalkIds + 1];
	uint16_t unique[kWalkUnique];		// the user attribute types given a kind, in order
	uint8_t uniqueCount;
} gWalk;

// A tag's kind for the sweep: a bit; 0 for a kind no tag of the walk can supersede; -1 when
// the sweep cannot count it.
static int walkKind(lfs_tag_t tag, int add)
{
	uint16_t type = lfs_tag_type3(tag);
	uint8_t i;
	switch (lfs_tag_type1(tag)) {
	case LFS_TYPE_NAME:
		return 1;
	case LFS_TYPE_STRUCT:
		return 2;
	case LFS_TYPE_USERATTR:
		for (i = 0; i < gWalk.uniqueCount; i++) {
			if (gWalk.unique[i] == type)
				return 4 << i;
		}
		if (!add)
			return 0;		// no later tag of this type: nothing supersedes it by type
		if (gWalk.uniqueCount == kWalkUnique)
			return -1;
		gWalk.unique[gWalk.uniqueCount] = type;
		return 4 << gWalk.uniqueCount++;
	default:
		return -1;
	}
}

// A later tag as the filter sees it: its kind (superseding a tag of that kind and id), its
// splice (an id shift), nothing. 0, or -1 when the sweep cannot model it.
static int walkSweepLater(lfs_tag_t later, uint16_t limit, uint8_t *any)
{
	uint16_t id = lfs_tag_id(later), i;
	int kind;

	if ((LFS_FROM_NOOP == lfs_tag_type3(later)) || (LFS_FROM_MOVE == lfs_tag_type3(later)))
		return 0;		// passed over by the filter (walkFilterStep)
	*any = 1;
	switch (lfs_tag_type1(later)) {
	case LFS_TYPE_NAME:
	case LFS_TYPE_STRUCT:
	case LFS_TYPE_USERATTR:
		if (id >= kWalkIds)
			return -1;
		kind = walkKind(later, 1);
		if (kind < 0)
			return -1;
		if (kWalkGone != gWalk.map[id])
			gWalk.hit[gWalk.map[id]] |= kind;
		return 0;
	case LFS_TYPE_SPLICE:
		if (id >= limit)
			return -1;
		if (LFS_TYPE_CREATE == lfs_tag_type3(later)) {
			// ids from `id` on were one less before it (the top one, which no tag reaches: none)
			for (i = id; i + 1 < limit; i++)
				gWalk.map[i] = gWalk.map[i + 1];
			gWalk.map[limit - 1] = kWalkGone;
			return 0;
		}
		if (LFS_TYPE_DELETE == lfs_tag_type3(later)) {
			for (i = limit - 1; i > id; i--)
				gWalk.map[i] = gWalk.map[i - 1];
			gWalk.map[id] = kWalkGone;
			return 0;
		}
		return -1;
	case LFS_TYPE_CRC:
	case LFS_TYPE_TAIL:
	case LFS_TYPE_GLOBALS:
		return 0;		// supersede only their own kinds, which no walk filters
	default:
		return -1;
	}
}

// What the later tags make of `tag` (the sweep's state): its answer, or -1 when the sweep
// cannot tell.
static int walkSweepAnswer(lfs_tag_t tag, uint8_t any, lfs_tag_t *answer)
{
	uint16_t id = lfs_tag_id(tag), final;
	int kind;

	if (lfs_tag_isdelete(tag) && any) {
		*answer = LFS_MKTAG(LFS_FROM_NOOP, 0, 0);
		return 0;
	}
	if (id >= kWalkIds)
		return -1;
	switch (lfs_tag_type1(tag)) {
	case LFS_TYPE_NAME:
	case LFS_TYPE_STRUCT:
	case LFS_TYPE_USERATTR:
		kind = walkKind(tag, 0);
		break;
	case LFS_TYPE_FROM:
		kind = 0;		// superseded only by a later tag of its type, which the walk never passes to the filter
		break;
	default:
		return -1;
	}
	if (kind < 0)
		return -1;
	final = gWalk.map[id];
	if ((kWalkGone == final) || (gWalk.hit[final] & kind)) {
		*answer = LFS_MKTAG(LFS_FROM_NOOP, 0, 0);
		return 0;
	}
	*answer = (tag & ~LFS_MKTAG(0, 0x3ff, 0)) | LFS_MKTAG(0, final, 0);
	return 0;
}

// Fills the table for a walk from (off, ptag) of dir's log, then attrs, whose tags passing
// (tmask, ttag) are filtered: 0 when it holds their answers, else nonzero (walkFilter does).
static int walkSweep(lfs_t *lfs, const lfs_mdir_t *dir, lfs_off_t off, lfs_tag_t ptag,
		const struct lfs_mattr *attrs, int attrcount, lfs_tag_t tmask, lfs_tag_t ttag)
{
	lfs_tag_t mask = LFS_MKTAG(0x7ff, 0, 0) & tmask;
	uint16_t limit = 1, creates = 0, i;
	int k;
	uint8_t any = 0;

	gWalk.count = 0;
	while ((off + lfs_tag_dsize(ptag)) < dir->off) {
		lfs_tag_t tag;
		off += lfs_tag_dsize(ptag);
		if ((gWalk.count == kWalkTags) || volumeLfsRead(lfs, NULL, &lfs->rcache, dir->off - off, dir->pair[0], off, &tag, sizeof(tag)))
			return -1;
		tag = (lfs_frombe32(tag) ^ ptag) | 0x80000000;
		ptag = tag;
		gWalk.tags[gWalk.count++] = tag;
	}
	gWalk.logCount = gWalk.count;
	for (k = 0; k < attrcount; k++) {
		if (gWalk.count == kWalkTags)
			return -1;
		gWalk.tags[gWalk.count++] = attrs[k].tag;
	}
	// every id a tag can have on the way: the largest a tag names, moved up by every create
	for (i = 0; i < gWalk.count; i++) {
		lfs_tag_t tag = gWalk.tags[i];
		if ((lfs_tag_id(tag) < kWalkIds) && (lfs_tag_id(tag) >= limit))
			limit = lfs_tag_id(tag) + 1;
		if (LFS_TYPE_CREATE == lfs_tag_type3(tag))
			creates++;
	}
	limit += creates + 1;
	if (limit > kWalkIds)
		return -1;
	for (i = 0; i < limit; i++)
		gWalk.map[i] = i;
	c_memset(gWalk.hit, 0, sizeof(gWalk.hit));
	gWalk.uniqueCount = 0;

	for (k = gWalk.count - 1; k >= 0; k--) {
		lfs_tag_t tag = gWalk.tags[k];
		if ((mask & tag) == (mask & ttag)) {
			if (walkSweepAnswer(tag, any, &gWalk.tags[k]))
				return -1;
		}
		if ((k >= gWalk.logCount) && (LFS_FROM_USERATTRS == lfs_tag_type3(tag))) {
			const struct lfs_attr *attribute = attrs[k - gWalk.logCount].buffer;
			for (i = 0; i < lfs_tag_size(tag); i++) {
				if (walkSweepLater(LFS_MKTAG(LFS_TYPE_USERATTR + attribute[i].type, lfs_tag_id(tag), attribute[i].size), limit, &any))
					return -1;
			}
		}
		else if (walkSweepLater(tag, limit, &any))
			return -1;
	}
	return 0;
}
#endif

// lfs_dir_traverse, the same walk and callbacks, with its scan for duplicates answered by
// `answers` (the sweep's table: the answer of the walk's k-th tag) or else by walkFilter. A
// move (LFS_FROM_MOVE) walks its source pair's entry by recursion (LittleFS keeps an explicit
// stack, three deep); as there, a callback's stop (> 0) within it ends that walk only.
static int walkRun(lfs_t *lfs, const lfs_mdir_t *dir, lfs_off_t off, lfs_tag_t ptag,
		const struct lfs_mattr *attrs, int attrcount, lfs_tag_t tmask, lfs_tag_t ttag,
		uint16_t begin, uint16_t end, int16_t diff,
		int (*cb)(void *data, lfs_tag_t tag, const void *buffer), void *data, const lfs_tag_t *answers)
{
	unsigned index = 0;

	for (;;) {
		struct lfs_diskoff disk;
		const void *buffer;
		lfs_tag_t tag;
		int result;

		if ((off + lfs_tag_dsize(ptag)) < dir->off) {
			off += lfs_tag_dsize(ptag);
			result = volumeLfsRead(lfs, NULL, &lfs->rcache, sizeof(tag), dir->pair[0], off, &tag, sizeof(tag));
			if (result)
				return result;
			tag = (lfs_frombe32(tag) ^ ptag) | 0x80000000;
			disk.block = dir->pair[0];
			disk.off = off + sizeof(lfs_tag_t);
			buffer = &disk;
			ptag = tag;
		}
		else if (attrcount > 0) {
			tag = attrs->tag;
			buffer = attrs->buffer;
			attrs++;
			attrcount--;
		}
		else
			return 0;
		index++;

		if ((LFS_MKTAG(0x7ff, 0, 0) & tmask & tag) != (LFS_MKTAG(0x7ff, 0, 0) & tmask & ttag))
			continue;
		if (lfs_tag_id(tmask)) {
			if (answers)
				tag = answers[index - 1];
			else {
				result = walkFilter(lfs, dir, off, ptag, attrs, attrcount, &tag);
				if (result)
					return result;
			}
			if ((lfs_tag_id(tag) < begin) || (lfs_tag_id(tag) >= end))
				continue;
		}

		if (LFS_FROM_NOOP == lfs_tag_type3(tag))
			continue;
		if (LFS_FROM_MOVE == lfs_tag_type3(tag)) {
			uint16_t from = lfs_tag_size(tag), to = lfs_tag_id(tag);
			result = volumeDirWalk(lfs, buffer, 0, 0xffffffff, NULL, 0,
					LFS_MKTAG(0x600, 0x3ff, 0), LFS_MKTAG(LFS_TYPE_STRUCT, 0, 0),
					from, from + 1, to - from + diff, cb, data);
			if (result < 0)
				return result;
		}
		else if (LFS_FROM_USERATTRS == lfs_tag_type3(tag)) {
			const struct lfs_attr *attribute = buffer;
			unsigned i;
			for (i = 0; i < lfs_tag_size(tag); i++) {
				result = cb(data, LFS_MKTAG(LFS_TYPE_USERATTR + attribute[i].type, lfs_tag_id(tag) + diff, attribute[i].size), attribute[i].buffer);
				if (result < 0)
					return result;
				if (result)
					break;
			}
		}
		else {
			result = cb(data, tag + LFS_MKTAG(0, diff, 0), buffer);
			if (result)
				return result;
		}
	}
}

static int volumeDirWalk(lfs_t *lfs, const lfs_mdir_t *dir, lfs_off_t off, lfs_tag_t ptag,
		const struct lfs_mattr *attrs, int attrcount, lfs_tag_t tmask, lfs_tag_t ttag,
		uint16_t begin, uint16_t end, int16_t diff,
		int (*cb)(void *data, lfs_tag_t tag, const void *buffer), void *data)
{
#ifdef MODDEF_VOLUME_LFS_WALK_TAGS
	if (lfs_tag_id(tmask) && !gWalk.busy) {
		int result;
		const lfs_tag_t *answers;
		gWalk.busy = 1;
		answers = walkSweep(lfs, dir, off, ptag, attrs, attrcount, tmask, ttag) ? NULL : gWalk.tags;
		if (answers)
			gVolumeLfsWalkSweeps++;
		else
			gVolumeLfsWalkScans++;
		result = walkRun(lfs, dir, off, ptag, attrs, attrcount, tmask, ttag, begin, end, diff, cb, data, answers);
		gWalk.busy = 0;
		return result;
	}
#endif
	return walkRun(lfs, dir, off, ptag, attrs, attrcount, tmask, ttag, begin, end, diff, cb, data, NULL);
}
#endif

#ifdef MODDEF_VOLUME_LFS_PAD
// Whether a prog is a copy into memory that reading back can only find as copied: on the
// Linux host, where every LittleFS volume is an image file (volumeImage.c gathers progs in
// memory and writes them to the file, whose mapping reads see).
#if MODDEF_VOLUME_IMAGE && !kVolumeHasPartition
	#define progsAreCopies(config) 1
#else
	#define progsAreCopies(config) 0
#endif

// LittleFS's lfs_cache_zero, without filling the cache with 0xFF: what is programmed from a
// cache is only what LittleFS wrote into it and what volumeFlush and volumeProg pad (so no
// byte of an earlier file reaches the device), and a read takes from a cache only bytes it
// holds. The fill was a memset of the whole cache (4 KiB on the host) at each open of a file.
static inline void volumeCacheZero(lfs_t *lfs, lfs_cache_t *pcache)
{
	(void)lfs;
	pcache->block = LFS_BLOCK_NULL;
}

// LittleFS's lfs_bd_flush, without refilling the whole cache with 0xFF: the unit's tail that
// LittleFS did not write is filled here, the rest of the cache holds only bytes LittleFS
// wrote or that volumeProg filled. The cache is released as lfs_cache_zero does (its block).
static int volumeFlush(lfs_t *lfs, lfs_cache_t *pcache, lfs_cache_t *rcache, bool validate)
{
	lfs_size_t diff;
	int error;

	if ((LFS_BLOCK_NULL == pcache->block) || (LFS_BLOCK_INLINE == pcache->block))
		return 0;
	LFS_ASSERT(pcache->block < lfs->cfg->block_count);
	diff = lfs_alignup(pcache->size, lfs->cfg->prog_size);
	c_memset(&pcache->buffer[pcache->size], 0xFF, diff - pcache->size);
	error = lfs->cfg->prog(lfs->cfg, pcache->block, pcache->off, pcache->buffer, diff);
	LFS_ASSERT(error <= 0);
	if (error)
		return error;
	if (validate) {
		lfs_cache_drop(lfs, rcache);
		// check the data on the device, as lfs_bd_flush does, unless the prog was a copy into
		// memory: reading it back can only find what was copied
		if (!progsAreCopies(lfs->cfg)) {
			error = compareBlock(lfs, NULL, rcache, diff, pcache->block, pcache->off, pcache->buffer, diff);
			if (error < 0)
				return error;
			if (LFS_CMP_EQ != error)
				return LFS_ERR_CORRUPT;
		}
	}
	pcache->block = LFS_BLOCK_NULL;
	return 0;
}

// LittleFS's lfs_bd_prog, after filling with 0xFF what LittleFS would program from the cache
// without having written it: before `off` in its unit when the cache starts at that unit
// (lfs_bd_prog aligns the cache's start down), or between the cache's bytes and `off`.
// LittleFS 2.5 does neither (a commit starts at a program unit, as fetching a pair takes it
// for erased only when its log ends at one, and a file's data starts at its block's start;
// the gap lfs_dir_commitcrc leaves between CRC tags needs a prog_size over 1 KiB), so this
// costs a comparison per call; it keeps the device's bytes LittleFS's if a version does.
static int volumeProg(lfs_t *lfs, lfs_cache_t *pcache, lfs_cache_t *rcache, bool validate,
		lfs_block_t block, lfs_off_t off, const void *buffer, lfs_size_t size)
{
	if (LFS_BLOCK_NULL == pcache->block)
		c_memset(pcache->buffer, 0xFF, off % lfs->cfg->prog_size);
	else if ((block == pcache->block) && (off > pcache->off + pcache->size) && (off < pcache->off + lfs->cfg->cache_size))
		c_memset(&pcache->buffer[pcache->size], 0xFF, off - (pcache->off + pcache->size));
	return lfsProgCached(lfs, pcache, rcache, validate, block, off, buffer, size);
}
#endif

// As lfs_rawgetattr does once it has found the entry.
static lfs_ssize_t getAttribute(lfs_t *lfs, lfs_mdir_t *dir, uint16_t id, uint8_t type, void *buffer, lfs_size_t size)
{
	lfs_stag_t tag;

	if (0x3ff == id) {
		// the root's attributes are those of id 0 of the root's pair
		int error = lfs_dir_fetch(lfs, dir, lfs->root);
		if (error)
			return error;
		id = 0;
	}
	tag = lfs_dir_get(lfs, dir, LFS_MKTAG(0x7ff, 0x3ff, 0),
			LFS_MKTAG(LFS_TYPE_USERATTR + type, id, lfs_min(size, lfs->attr_max)), buffer);
	if (tag < 0)
		return (LFS_ERR_NOENT == tag) ? LFS_ERR_NOATTR : tag;
	return lfs_tag_size(tag);
}


// lfs_dir_getinfo's two lookups (name, struct) and getAttribute's one, in one backward scan of
// the pair's log: lfs_dir_getslice's, for the three tags at once. They share the splices they
// step over (which depend on the id alone), so each finds what its own scan would have.
// Returns 0, LFS_ERR_NOENT (no such entry: skipped, as lfs_dir_rawread skips it), or an error.
static int getEntry(lfs_t *lfs, const lfs_mdir_t *dir, uint16_t id, struct lfs_info *info,
		uint8_t type, void *buffer, lfs_size_t size, lfs_ssize_t *attributeSize)
{
	const lfs_tag_t masks[3] = {LFS_MKTAG(0x780, 0x3ff, 0), LFS_MKTAG(0x700, 0x3ff, 0), LFS_MKTAG(0x7ff, 0x3ff, 0)};
	const lfs_tag_t gtags[3] = {
		LFS_MKTAG(LFS_TYPE_NAME, id, lfs->name_max + 1),
		LFS_MKTAG(LFS_TYPE_STRUCT, id, sizeof(struct lfs_ctz)),
		LFS_MKTAG(LFS_TYPE_USERATTR + type, id, lfs_min(size, lfs->attr_max))
	};
	struct lfs_ctz ctz;
	void *buffers[3] = {info->name, &ctz, buffer};
	const lfs_size_t sizes[3] = {lfs->name_max + 1, sizeof(ctz), lfs_min(size, lfs->attr_max)};
	lfs_stag_t found[3] = {LFS_ERR_NOENT, LFS_ERR_NOENT, LFS_ERR_NOENT};
	unsigned pending = 7, i;
	lfs_off_t off = dir->off;
	lfs_tag_t ntag = dir->etag;
	lfs_stag_t gdiff = 0;

	if (lfs_gstate_hasmovehere(&lfs->gdisk, dir->pair) && (lfs_tag_id(lfs->gdisk.tag) <= id))
		gdiff -= LFS_MKTAG(0, 1, 0);		// synthetic moves
	while (pending && (off >= sizeof(lfs_tag_t) + lfs_tag_dsize(ntag))) {
		lfs_tag_t tag = ntag;
		int error;

		off -= lfs_tag_dsize(ntag);
		error = readBlock(lfs, NULL, &lfs->rcache, sizeof(ntag), dir->pair[0], off, &ntag, sizeof(ntag));
		if (error)
			return error;
		ntag = (lfs_frombe32(ntag) ^ tag) & 0x7fffffff;
		if ((LFS_TYPE_SPLICE == lfs_tag_type1(tag)) && (lfs_tag_id(tag) <= lfs_tag_id(gtags[0] - gdiff))) {
			if (tag == (LFS_MKTAG(LFS_TYPE_CREATE, 0, 0) | (LFS_MKTAG(0, 0x3ff, 0) & (gtags[0] - gdiff))))
				break;		// where the entry was created: what is still pending does not exist
			gdiff += LFS_MKTAG(0, lfs_tag_splice(tag), 0);
		}
		for (i = 0; i < 3; i++) {
			lfs_size_t diff;
			if (!(pending & (1u << i)) || ((masks[i] & tag) != (masks[i] & (gtags[i] - gdiff))))
				continue;
			pending &= ~(1u << i);
			if (lfs_tag_isdelete(tag))
				continue;
			diff = lfs_min(lfs_tag_size(tag), sizes[i]);
			error = readBlock(lfs, NULL, &lfs->rcache, diff, dir->pair[0], off + sizeof(tag), buffers[i], diff);
			if (error)
				return error;
			c_memset((uint8_t *)buffers[i] + diff, 0, sizes[i] - diff);
			found[i] = tag + gdiff;
		}
	}
	if ((found[0] < 0) || (found[1] < 0))
		return LFS_ERR_NOENT;
	info->type = lfs_tag_type3(found[0]);
	lfs_ctz_fromle32(&ctz);
	if (LFS_TYPE_CTZSTRUCT == lfs_tag_type3(found[1]))
		info->size = ctz.size;
	else if (LFS_TYPE_INLINESTRUCT == lfs_tag_type3(found[1]))
		info->size = lfs_tag_size(found[1]);
	*attributeSize = (found[2] < 0) ? LFS_ERR_NOATTR : (lfs_ssize_t)lfs_tag_size(found[2]);
	return 0;
}

int volumeLfsDirRead(lfs_t *lfs, lfs_dir_t *dir, struct lfs_info *info, uint8_t type, void *buffer, lfs_size_t size, lfs_ssize_t *attributeSize)
{
	int result = LFS_LOCK(lfs->cfg);

	if (result)
		return result;
	*attributeSize = LFS_ERR_NOATTR;
	if (dir->pos < 2) {
		result = lfs_dir_rawread(lfs, dir, info);		// "." and ".."
		LFS_UNLOCK(lfs->cfg);
		return result;
	}
	c_memset(info, 0, sizeof(*info));
	for (;;) {
		if (dir->id == dir->m.count) {
			if (!dir->m.split) {
				LFS_UNLOCK(lfs->cfg);
				return 0;
			}
			result = lfs_dir_fetch(lfs, &dir->m, dir->m.tail);
			if (result) {
				LFS_UNLOCK(lfs->cfg);
				return result;
			}
			dir->id = 0;
		}
		result = getEntry(lfs, &dir->m, dir->id, info, type, buffer, size, attributeSize);
		if (result && (LFS_ERR_NOENT != result)) {
			LFS_UNLOCK(lfs->cfg);
			return result;
		}
		dir->id += 1;
		if (LFS_ERR_NOENT != result)
			break;
	}
	dir->pos += 1;
	LFS_UNLOCK(lfs->cfg);
	return 1;
}

int volumeLfsStat(lfs_t *lfs, const char *path, struct lfs_info *info, uint8_t type, void *buffer, lfs_size_t size, lfs_ssize_t *attributeSize)
{
	lfs_mdir_t cwd;
	lfs_stag_t tag;
	int result = LFS_LOCK(lfs->cfg);

	if (result)
		return result;
	tag = lfs_dir_find(lfs, &cwd, &path, NULL);
	if (tag < 0)
		result = tag;
	else
		result = lfs_dir_getinfo(lfs, &cwd, lfs_tag_id(tag), info);
	if (!result)
		*attributeSize = getAttribute(lfs, &cwd, lfs_tag_id(tag), type, buffer, size);
	LFS_UNLOCK(lfs->cfg);
	return result;
}

#if MODDEF_VOLUME_IMAGE
// The blocks of indexes ahead->first.. of the file whose last block is `head`. A file's blocks
// are a skip list from its last block back (block i holds pointers to blocks i - 1, i - 2,
// i - 4... as far as i's trailing zeros allow): lfs_ctz_find walks it from the last block to
// each block it needs, about log2(n) reads of a pointer per block; a download then took more
// of the server's time locating blocks than moving them (perf, 16 MiB). This walks to the last
// block wanted, as lfs_ctz_find does, then back one block at a time through each block's first
// pointer: a read per block.
static int volumeLfsLocate(lfs_t *lfs, lfs_cache_t *rcache, lfs_block_t head, lfs_size_t size, VolumeLfsAhead *ahead)
{
	lfs_off_t end = size - 1;
	lfs_off_t current = lfs_ctz_index(lfs, &end);
	lfs_off_t target = lfs_min(ahead->first + kVolumeLfsAhead - 1, current);
	lfs_size_t count = target - ahead->first + 1, i;
	int error;

	while (current > target) {
		lfs_off_t skip = lfs_min(lfs_npw2(current - target + 1) - 1, lfs_ctz(current));
		error = volumeLfsRead(lfs, NULL, rcache, sizeof(head), head, 4 * skip, &head, sizeof(head));
		if (error)
			return error;
		head = lfs_fromle32(head);
		current -= 1 << skip;
	}
	for (i = count - 1; ; i--) {
		if (head >= lfs->cfg->block_count)
			return LFS_ERR_CORRUPT;		// before it is read: a corrupt image must not lead outside it
		ahead->block[i] = head;
		if (!i)
			break;
		error = volumeLfsRead(lfs, NULL, rcache, sizeof(head), head, 0, &head, sizeof(head));
		if (error)
			return error;
		head = lfs_fromle32(head);
	}
	ahead->count = count;
	return 0;
}

// lfs_file_flushedread without the copy, for a file that is not inline: each data block
// holds the file's bytes after its skip-list pointers (lfs_ctz_index gives the offset past
// them). A file open read-only never has LFS_F_WRITING, so its cache never holds bytes
// newer than the device's; any file that could (open for writing, dirty, erred) is refused.
lfs_ssize_t volumeLfsFileRun(lfs_t *lfs, lfs_file_t *file, VolumeLfsAhead *ahead, lfs_size_t size, lfs_block_t *block, lfs_off_t *offset)
{
	lfs_size_t run;
	lfs_off_t index, off;
	int error;

	if (((file->flags & 3) != LFS_O_RDONLY) || (file->flags & (LFS_F_INLINE | LFS_F_DIRTY | LFS_F_WRITING | LFS_F_ERRED)))
		return kVolumeLfsNoRun;
	if ((0 == size) || (file->pos >= file->ctz.size))
		return 0;
	error = LFS_LOCK(lfs->cfg);
	if (error)
		return error;
	if (!(file->flags & LFS_F_READING) || (file->off == lfs->cfg->block_size)) {
		off = file->pos;
		index = lfs_ctz_index(lfs, &off);
		if ((index < ahead->first) || (index >= ahead->first + ahead->count)) {
			ahead->first = index;
			ahead->count = 0;
			error = volumeLfsLocate(lfs, &file->cache, file->ctz.head, file->ctz.size, ahead);
			if (error) {
				LFS_UNLOCK(lfs->cfg);
				return error;
			}
		}
		file->block = ahead->block[index - ahead->first];
		file->off = off;
		file->flags |= LFS_F_READING;
	}
	// lfs_bd_read's own check: a corrupt image must not send bytes from outside it
	if ((file->block >= lfs->cfg->block_count) || (file->off >= lfs->cfg->block_size)) {
		LFS_UNLOCK(lfs->cfg);
		return LFS_ERR_CORRUPT;
	}
	run = lfs_min(size, lfs_min(lfs->cfg->block_size - file->off, file->ctz.size - file->pos));
	*block = file->block;
	*offset = file->off;
	file->pos += run;
	file->off += run;
	LFS_UNLOCK(lfs->cfg);
	return run;
}
#endif
