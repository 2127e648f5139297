/*
 * lwIP's core includes PPP's options and private header whatever its options say; the device
 * sysroot leaves PPP out (lwip-2.1.3/, see its README), and the emulated board has no PPP.
 */
#ifndef __FTPSOCK_EMU_PPP_OPTS_H__
#define __FTPSOCK_EMU_PPP_OPTS_H__

#define PPP_SUPPORT 0
#define PPPOE_SUPPORT 0
#define PPPOL2TP_SUPPORT 0
#define PPPOS_SUPPORT 0
#define PPP_API 0
#define PPP_IPV4_SUPPORT 0
#define PPP_IPV6_SUPPORT 0

#endif
