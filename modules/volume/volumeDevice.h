/*
 * Block devices under LittleFS. Opening one fills the lfs_config's block size and count and
 * its read, prog, erase and sync hooks (with their context); the LittleFS backend adds the
 * cache sizes and buffers.
 */
#ifndef __VOLUME_DEVICE_H__
#define __VOLUME_DEVICE_H__

#include "lfs.h"
#include "volumeBackend.h"

#if MODDEF_VOLUME_IMAGE
// An image file on the Linux host. *created tells that the file did not exist and was just
// created erased, so it needs a format; an existing file is never formatted.
int32_t volumeImageOpen(const char *path, uint32_t size, struct lfs_config *config, uint8_t *created);
// `discard` deletes the file too: it was created by this open and never formatted.
void volumeImageClose(const struct lfs_config *config, uint8_t discard);
// The image's mapping (block n at n × block size), to read file bytes in place;
// NULL once the image has failed (truncated under us).
const uint8_t *volumeImageMemory(const struct lfs_config *config);
#endif

#if kVolumeHasPartition
// The device's flash storage partition.
int32_t volumePartitionOpen(struct lfs_config *config);
void volumePartitionClose(const struct lfs_config *config);
#endif

#endif
