/*
 * The volume's error codes (negative; the same names are the messages of the errors the JS face
 * throws), in a header of their own so that the helpers every part of the volume uses
 * (volumePath.c) need not include the volume's C face (volume.h).
 */
#ifndef __VOLUME_CODES_H__
#define __VOLUME_CODES_H__

enum {
	VOLUME_OK = 0,
	VOLUME_ENOENT = -1,			// no such file or directory
	VOLUME_EEXIST = -2,			// already exists
	VOLUME_ENOTDIR = -3,		// a path component is not a directory
	VOLUME_EISDIR = -4,			// is a directory
	VOLUME_ENOTEMPTY = -5,		// directory not empty
	VOLUME_ENOSPC = -6,			// no space left
	VOLUME_ENAMETOOLONG = -7,	// name or path too long
	VOLUME_EINVAL = -8,			// invalid argument or name
	VOLUME_EIO = -9,			// I/O error or corrupt volume
	VOLUME_ENOMEM = -10,		// out of memory
	VOLUME_EACCES = -11,		// not allowed (e.g. a symlink under --root)
	VOLUME_ENOTMOUNTED = -12,	// nothing mounted
	VOLUME_ENOTSUP = -13,		// not supported by this volume or file (volumeReadInPlace)
	VOLUME_EBUSY = -14,			// the image is locked: another process has it mounted
	VOLUME_EFTYPE = -15			// an existing file that is not a LittleFS image (never formatted)
};

#endif
