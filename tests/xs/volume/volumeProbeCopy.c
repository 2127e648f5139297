/*
 * The probe's window on volume.h: the C face used as ftpsock uses it, bytes never in the
 * XS heap.
 */
#include "xsmc.h"
#include "mc.xs.h"			// for xsID_ values
#include "volume.h"

#include <stdlib.h>

static void throwCode(xsMachine *the, int32_t code)
{
	xsResult = xsNew1(xsGlobal, xsID_Error, xsString((char *)volumeErrorName(code)));
	xsThrow(xsResult);
}

void xs_volume_probe_copy(xsMachine *the)
{
	char *from = strdup(xsmcToString(xsArg(0)));
	uint32_t offset = xsmcToInteger(xsArg(1));
	char *to = strdup(xsmcToString(xsArg(2)));
	int append = xsmcToBoolean(xsArg(3));
	uint32_t toOffset = xsmcToInteger(xsArg(4));
	uint32_t chunk = xsmcToInteger(xsArg(5));
	uint8_t *buffer = malloc(chunk);
	VolumeFile source = NULL, target = NULL;
	int error = VOLUME_OK;
	int32_t result = 0, copied = 0;

	if (!from || !to || !buffer)
		error = VOLUME_ENOMEM;
	if (!error)
		source = volumeOpenRead(from, offset, &error);
	if (!error)
		target = volumeOpenWrite(to, append, toOffset, &error);
	while (!error) {
		result = volumeRead(source, buffer, chunk);
		if (result <= 0) {
			error = result;
			break;
		}
		result = volumeWrite(target, buffer, result);
		if (result < 0)
			error = result;
		else
			copied += result;
	}
	if (source)
		volumeClose(source);
	if (target) {
		result = volumeClose(target);
		if (!error)
			error = result;
	}
	free(buffer);
	free(to);
	free(from);
	if (error)
		throwCode(the, error);
	xsmcSetInteger(xsResult, copied);
}

void xs_volume_probe_descriptor(xsMachine *the)
{
	int error;
	VolumeFile file = volumeOpenRead(xsmcToString(xsArg(0)), 0, &error);
	int descriptor;

	if (!file)
		throwCode(the, error);
	descriptor = volumeDescriptor(file);
	volumeClose(file);
	xsmcSetInteger(xsResult, descriptor);
}

void xs_volume_probe_error_name(xsMachine *the)
{
	xsmcSetString(xsResult, (char *)volumeErrorName(xsmcToInteger(xsArg(0))));
}
