/*
 * lwIP 2.1.3 built for the emulated ESP8266 (tests/emu): check:lwip's NO_SYS options
 * (tests/lwip/nosys/lwipopts.h: no OS, IPv4 only, 16-bit windows, a small send buffer), and
 * memory as the ESP8266 core's lwIP takes it: pools and the heap from the C library's malloc.
 */
#ifndef __FTPSOCK_EMU_LWIPOPTS_H__
#define __FTPSOCK_EMU_LWIPOPTS_H__

#include "../../lwip/nosys/lwipopts.h"

#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 4
#define SYS_LIGHTWEIGHT_PROT 0		// one thread, no interrupts touching lwIP
#define LWIP_ARP 0					// the netifs are not Ethernet: packets loop back
#define LWIP_ETHERNET 0
#define LWIP_DNS 0
#define LWIP_DHCP 0
#define LWIP_IGMP 0
#define LWIP_STATS 0
#define LWIP_NETIF_LOOPBACK_MULTITHREADING 0
#define LWIP_NETIF_TX_SINGLE_PBUF 1	// as the ESP8266 core and ESP-IDF build it (see ftpsock_lwip.c)

#endif
