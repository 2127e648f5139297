/*
 * Stand-in for the mc.defines.h mcconfig writes (Linux check only). A send buffer that is not a
 * multiple of the MSS, so that the stack takes it in pieces and segments span refills.
 */
#ifndef __FAKE_MC_DEFINES_H__
#define __FAKE_MC_DEFINES_H__

#define MODDEF_FTPSOCK_BUFFER (5000)
// A short drain, so that the test sees a close give up on a client that never reads.
#define MODDEF_FTPSOCK_DRAIN (2)

#endif
