/*
 * Volume paths: "/" or "/name/name", as every backend expects them.
 */
#ifndef __VOLUME_PATH_H__
#define __VOLUME_PATH_H__

#include <stdint.h>
#include "mc.defines.h"

// A whole path. Devices keep it at LFS_NAME_MAX so path buffers on their small stacks stay
// small; the Linux host sets it higher in the manifest.
#ifndef MODDEF_VOLUME_PATH_MAX
	#define MODDEF_VOLUME_PATH_MAX (255)
#endif
#define kVolumePathMax (MODDEF_VOLUME_PATH_MAX)

// One component: LittleFS's LFS_NAME_MAX, and NAME_MAX on Linux.
#define kVolumeNameMax (255)

// Rewrites `path` in place as "/" or "/a/b": repeated and trailing slashes go. A relative
// path, "." or ".." is VOLUME_EINVAL (the JS path rules resolve them; reaching here they
// would be a caller's bug, and under a POSIX root ".." would step outside it); a component
// over kVolumeNameMax or a path over kVolumePathMax is VOLUME_ENAMETOOLONG.
int32_t volumePathNormalize(char *path);

// Copies `path` into `buffer` (kVolumePathMax + 1 bytes), then normalises it.
int32_t volumePathCopy(const char *path, char *buffer);

// The last component of a normalised path ("" for the root).
const char *volumePathName(const char *path);

// Whether normalised `path` is `ancestor` or lies below it.
uint8_t volumePathWithin(const char *path, const char *ancestor);

#endif
