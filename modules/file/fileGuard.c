/*
 * One clear build error when an app includes the SDK's own file module beside the server's: two
 * file systems (or two LittleFS instances) on one storage partition corrupt each other, and two
 * copies of LittleFS fail at link time with messages that do not say why. The SDK's file
 * manifests define these (mc.defines.h); ours does not.
 */
#include "mc.defines.h"

#if defined(MODDEF_FILE_LFS_READ_SIZE) || defined(MODDEF_FILE_PARTITION)
	#error "moddable-ftpd: remove the SDK's file manifest ($(MODULES)/files/file/manifest_littlefs.json or $(MODULES)/files/file/manifest.json) from your manifest: the ftpd include brings `file` on the server's LittleFS volume, and `import {File} from \"file\"` works unchanged"
#endif

// ISO C wants at least one declaration in a translation unit
typedef int fileGuardUnused;
