/* The defines of the Linux check (see ../shim/mc.defines.h). */
#include "../shim/mc.defines.h"
