/*
 * What the LittleFS backend needs beyond LittleFS's public API (volumeLfs.c).
 */
#ifndef __VOLUME_LFS_H__
#define __VOLUME_LFS_H__

#include "lfs.h"

// The custom attribute `type` of the entry the last lfs_dir_read of `dir` returned (not "."
// or ".."). Returns its size, LFS_ERR_NOATTR, or another negative LFS_ERR_*.
lfs_ssize_t volumeLfsDirAttribute(lfs_t *lfs, lfs_dir_t *dir, uint8_t type, void *buffer, lfs_size_t size);

// lfs_stat and lfs_getattr in one lookup of `path`. *attributeSize is the attribute's size,
// or LFS_ERR_NOATTR. Returns 0 or a negative LFS_ERR_*.
int volumeLfsStat(lfs_t *lfs, const char *path, struct lfs_info *info, uint8_t type, void *buffer, lfs_size_t size, lfs_ssize_t *attributeSize);

#endif
