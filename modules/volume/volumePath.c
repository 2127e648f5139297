/*
 * Volume paths: normalisation and the few questions asked about them.
 */
#include "volumePath.h"
#include "volumeCodes.h"

#include "xsPlatform.h"

int32_t volumePathNormalize(char *path)
{
	uint32_t from = 1, to = 1;

	if ('/' != path[0])
		return VOLUME_EINVAL;

	while (path[from]) {
		uint32_t length = 0;

		while ('/' == path[from])
			from++;
		while (path[from + length] && ('/' != path[from + length]))
			length++;
		if (0 == length)
			break;
		if (((1 == length) && ('.' == path[from])) || ((2 == length) && ('.' == path[from]) && ('.' == path[from + 1])))
			return VOLUME_EINVAL;
		if (length > kVolumeNameMax)
			return VOLUME_ENAMETOOLONG;
		if (to > 1)
			path[to++] = '/';
		c_memmove(path + to, path + from, length);
		to += length;
		from += length;
	}
	path[to] = 0;
	return (to > kVolumePathMax) ? VOLUME_ENAMETOOLONG : VOLUME_OK;
}

int32_t volumePathCopy(const char *path, char *buffer)
{
	size_t length = c_strlen(path);
	if (length > kVolumePathMax)
		return VOLUME_ENAMETOOLONG;
	c_memcpy(buffer, path, length + 1);
	return volumePathNormalize(buffer);
}

const char *volumePathName(const char *path)
{
	return c_strrchr(path, '/') + 1;
}

uint8_t volumePathWithin(const char *path, const char *ancestor)
{
	size_t length = c_strlen(ancestor);

	if (1 == length)		// everything is within the root
		return 1;
	if (c_strncmp(path, ancestor, length))
		return 0;
	return (0 == path[length]) || ('/' == path[length]);
}
