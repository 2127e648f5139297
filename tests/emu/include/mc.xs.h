/*
 * Stand-in for the mc.xs.h that xsl writes (the XS image's symbol IDs): volume.c's JS face
 * includes it for xsID_ values. The emulated suites call only volume.c's C face and its mount
 * and unmount, so the values are never used; building the XS image to get them would take the
 * whole TypeScript and XS compile of the firmware.
 */
#ifndef __MC_XS_H__
#define __MC_XS_H__

#define xsID_Error (-1)
#define xsID_blockSize (-2)
#define xsID_directory (-3)
#define xsID_kind (-4)
#define xsID_maxPathLength (-5)
#define xsID_mtime (-6)
#define xsID_name (-7)
#define xsID_size (-8)
#define xsID_total (-9)
#define xsID_used (-10)

#endif
