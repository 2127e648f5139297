/*
 * The emulated board's services, for code compiled with either C library's headers (the device
 * build's newlib 2.2 or picolibc): output and exit through qemu's semihosting, the clock from
 * the CPU's cycle counter. runtime.c implements them.
 */
#ifndef __EMU_H__
#define __EMU_H__

#include <stdint.h>

// printf to the console (stdout of qemu).
int emuPrint(const char *format, ...) __attribute__((format(printf, 1, 2)));
// Ends the run with `status` as qemu's exit status.
void emuExit(int status) __attribute__((noreturn));
// Microseconds since start, from CCOUNT (64 bits: it does not wrap).
uint64_t emuMicroseconds(void);
// Spins for `microseconds`.
void emuDelay(uint32_t microseconds);

#endif
