/* See ppp_opts.h: no PPP on the emulated board. */
#include "ppp_opts.h"
