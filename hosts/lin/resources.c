/*
 * The SDK's Resource module (brought by its examples/manifest_base.json, which apps include)
 * finds resources through mcGetResource, which mcconfig generates for device builds only
 * (mc.resources.c): without this, an app on manifest_base.json does not link on x-cli-lin. The
 * Linux host has no resources: Resource.exists() answers false, new Resource() throws.
 */
#include "xs.h"

const void *mcGetResource(xsMachine *the, char *path, size_t *size)
{
	(void)the;
	(void)path;
	*size = 0;
	return NULL;
}
