/*
 * What the volume's two faces share (volume.c: the mounted backend, open files and directories,
 * the C face; volumeJs.c: the JS face): the mounted backend and the bookkeeping of open
 * records, so that unmount can close them under their owners.
 */
#ifndef __VOLUME_CORE_H__
#define __VOLUME_CORE_H__

#include "volumeBackend.h"

// The mounted backend; NULL when nothing is mounted.
extern VolumeBackend gBackend;

VolumeFile fileOpen(const char *path, uint8_t mode, int32_t *error);
int32_t fileCheck(VolumeFile file, uint8_t mode);
int32_t fileRead(VolumeFile file, void *buffer, uint32_t size);
int32_t fileWrite(VolumeFile file, const void *buffer, uint32_t size);
int32_t fileClose(VolumeFile file);
VolumeDirectory directoryOpen(const char *path, int32_t *error);
void directoryRelease(VolumeDirectory directory);
void volumeUnmount(void);

#endif
