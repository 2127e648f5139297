/*
 * lwIP options for the second compile of the check: NO_SYS (no tcpip thread: lwipRun() is a
 * plain call, as on ESP8266), IPv4 only and no window scaling (16-bit windows, as on both
 * devices), a small send buffer. Compiled, not linked: Debian's liblwip is built with its own
 * options (NO_SYS 0, IPv4 + IPv6), and a program must use the options its library was built with.
 */
#ifndef __FTPSOCK_CHECK_LWIPOPTS_H__
#define __FTPSOCK_CHECK_LWIPOPTS_H__

#define NO_SYS 1
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_TCP 1
#define SO_REUSE 1
#define MEM_ALIGNMENT 4
#define TCP_MSS 1460
#define TCP_SND_BUF (2 * TCP_MSS)
#define TCP_WND (4 * TCP_MSS)
#define LWIP_NETIF_LOOPBACK 1

#endif
