/*
 * What the LittleFS backend needs beyond LittleFS's public API (volumeLfs.c).
 */
#ifndef __VOLUME_LFS_H__
#define __VOLUME_LFS_H__

#include "lfs.h"

// lfs_dir_read, with the custom attribute `type` of the entry read in the same scan of its
// metadata (*attributeSize: its size, or LFS_ERR_NOATTR). Returns 1 with an entry, 0 at the
// end, or a negative LFS_ERR_*.
int volumeLfsDirRead(lfs_t *lfs, lfs_dir_t *dir, struct lfs_info *info, uint8_t type, void *buffer, lfs_size_t size, lfs_ssize_t *attributeSize);

// lfs_stat and lfs_getattr in one lookup of `path`. *attributeSize is the attribute's size,
// or LFS_ERR_NOATTR. Returns 0 or a negative LFS_ERR_*.
int volumeLfsStat(lfs_t *lfs, const char *path, struct lfs_info *info, uint8_t type, void *buffer, lfs_size_t size, lfs_ssize_t *attributeSize);

#if MODDEF_VOLUME_IMAGE
// What volumeLfsFileRun returns when the file's bytes cannot be located on the device: the
// file is inline (its bytes live in its directory's metadata), or open for writing.
#define kVolumeLfsNoRun (-0x7FFF)
// Blocks located at once: a gather of ftpsock's (64 runs) in one walk
#define kVolumeLfsAhead (64)

// For a file open read-only: where the next run of its bytes sits on the device (one block,
// at most `size` bytes), advancing the file's position past it as lfs_file_read would.
// Returns the run's length with *block and *offset, 0 at the end of the file (or when `size`
// is 0), kVolumeLfsNoRun (nothing moved), or a negative LFS_ERR_*.
// `ahead` (its count 0 when the file is opened) keeps the blocks that follow, so that each
// block is not looked for from the file's last one again.
typedef struct {
	lfs_block_t block[kVolumeLfsAhead];
	lfs_off_t first;			// the file's block index of block[0]
	lfs_size_t count;
} VolumeLfsAhead;
lfs_ssize_t volumeLfsFileRun(lfs_t *lfs, lfs_file_t *file, VolumeLfsAhead *ahead, lfs_size_t size, lfs_block_t *block, lfs_off_t *offset);

// The fetch cache (see volumeLfs.c): before the volume is formatted or mounted, it puts itself
// between LittleFS and `config`'s prog and erase, which then count the writes of each block.
// Returns 0, or LFS_ERR_NOMEM: the volume then works without it.
int volumeLfsFetchCacheStart(struct lfs_config *config);
void volumeLfsFetchCacheStop(void);
extern uint32_t gVolumeLfsFetchHits;		// fetches the cache answered (tests/lfsprog)
extern uint32_t gVolumeLfsFetchReplays;		// lookups answered by a replay of a cached pair's log
extern uint32_t gVolumeLfsFetchResumes;		// fetches resumed where the cached one ended (its pair written since, not erased)
#ifdef MODDEF_VOLUME_LFS_WALK_TAGS
extern uint32_t gVolumeLfsWalkSweeps;		// filtered directory walks answered by the sweep's table (tests/lfsprog)
extern uint32_t gVolumeLfsWalkScans;		// and those left to walkFilter (no table: a walk within a walk, or one it cannot model)
#endif
#endif

#endif
