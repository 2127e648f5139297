/*
 * The emulated board's runtime, on picolibc: start-up (start.S calls emuStart), console and
 * exit through qemu's semihosting (the `simcall` instruction: a2 the call, a3..a5 its
 * arguments), the clock from CCOUNT, and the report of a CPU exception.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "emu.h"

// qemu's xtensa semihosting calls (target/xtensa/xtensa-semi.c)
enum {
	kSimcallExit = 1,
	kSimcallWrite = 4
};

static int simcall(int call, int a, int b, int c)
{
	register int a2 __asm__("a2") = call;
	register int a3 __asm__("a3") = a;
	register int a4 __asm__("a4") = b;
	register int a5 __asm__("a5") = c;

	__asm__ volatile ("simcall" : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
	return a2;
}

void emuExit(int status)
{
	simcall(kSimcallExit, status, 0, 0);
	for (;;)
		;
}

void _exit(int status)
{
	fflush(stdout);
	emuExit(status);
}

// abort() raises SIGABRT through these: one process, ended with the signal's status.
int getpid(void);
int kill(int pid, int signal);

int getpid(void)
{
	return 1;
}

int kill(int pid, int signal)
{
	(void)pid;
	fflush(stdout);
	emuExit(128 + signal);
}

/*
	Console: picolibc's stdio over a line buffer, written by semihosting
*/

static char gLine[256];
static int gLineLength = 0;

static void flushLine(void)
{
	if (gLineLength)
		simcall(kSimcallWrite, 1, (int)gLine, gLineLength);
	gLineLength = 0;
}

static int consolePut(char c, FILE *file)
{
	(void)file;
	gLine[gLineLength++] = c;
	if (('\n' == c) || (gLineLength == (int)sizeof(gLine)))
		flushLine();
	return (unsigned char)c;
}

static int consoleFlush(FILE *file)
{
	(void)file;
	flushLine();
	return 0;
}

static FILE gConsole = FDEV_SETUP_STREAM(consolePut, NULL, consoleFlush, _FDEV_SETUP_WRITE);
FILE *const stdin = &gConsole;
FILE *const stdout = &gConsole;
FILE *const stderr = &gConsole;

int emuPrint(const char *format, ...)
{
	va_list list;
	int result;

	va_start(list, format);
	result = vfprintf(stdout, format, list);
	va_end(list);
	return result;
}

/*
	Clock: CCOUNT counts cycles of the emulated CPU's clock (qemu derives it from its virtual
	clock, which follows the host's time). Extended to 64 bits by noticing each wrap: it is
	read far more often than every 2^32 cycles.
*/

#ifndef EMU_CPU_HZ
	#define EMU_CPU_HZ (40000000)		// qemu's lx106 core configuration
#endif

static uint32_t gLastCount;
static uint64_t gHighCount;

static uint32_t readCount(void)
{
	uint32_t count;

	__asm__ volatile ("rsr %0, ccount" : "=r"(count));
	return count;
}

uint64_t emuMicroseconds(void)
{
	uint32_t count = readCount();

	if (count < gLastCount)
		gHighCount += (uint64_t)1 << 32;
	gLastCount = count;
	return (gHighCount | count) / (EMU_CPU_HZ / 1000000);
}

void emuDelay(uint32_t microseconds)
{
	uint64_t until = emuMicroseconds() + microseconds;

	while (emuMicroseconds() < until)
		;
}

// For the tests built on picolibc (tests/lwip's fake machine): a monotonic clock from start.
int clock_gettime(clockid_t clock, struct timespec *now)
{
	uint64_t microseconds = emuMicroseconds();

	(void)clock;
	now->tv_sec = (time_t)(microseconds / 1000000);
	now->tv_nsec = (long)(microseconds % 1000000) * 1000;
	return 0;
}

int gettimeofday(struct timeval *now, void *zone)
{
	uint64_t microseconds = emuMicroseconds();

	(void)zone;
	now->tv_sec = (time_t)(microseconds / 1000000);
	now->tv_usec = (suseconds_t)(microseconds % 1000000);
	return 0;
}

int usleep(useconds_t microseconds)
{
	emuDelay(microseconds);
	return 0;
}

/*
	Exceptions (start.S): `kind` is the vector taken
*/

static const char *causeName(uint32_t cause)
{
	switch (cause) {
		case 0: return "IllegalInstruction";
		case 2: return "InstructionFetchError";
		case 3: return "LoadStoreError";
		case 6: return "IntegerDivideByZero";
		case 9: return "LoadStoreAlignment (unaligned load or store)";
		case 14: return "InstrPIFAddrError (no code at that address: a null function pointer?)";
		case 15: return "LoadStorePIFAddrError (no memory at that address)";
		case 28: return "LoadProhibited";
		case 29: return "StoreProhibited";
		default: return "exception";
	}
}

void emuFault(int kind)
{
	uint32_t cause, pc, address;

	__asm__ volatile ("rsr %0, exccause" : "=r"(cause));
	__asm__ volatile ("rsr %0, epc1" : "=r"(pc));
	__asm__ volatile ("rsr %0, excvaddr" : "=r"(address));
	flushLine();
	printf("not ok - the CPU raised %s (cause %u, %s vector) at pc 0x%08x, address 0x%08x\n",
		causeName(cause), (unsigned)cause, (0 == kind) ? "user" : (1 == kind) ? "kernel" : "double", (unsigned)pc, (unsigned)address);
	fflush(stdout);
	emuExit(3);
}

/*
	Start
*/

extern char __bss_start[], __bss_end[];
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);
int main(void);

void emuStart(void)
{
	void (**init)(void);

	memset(__bss_start, 0, (size_t)(__bss_end - __bss_start));
	for (init = __init_array_start; init < __init_array_end; init++)
		(**init)();
	exit(main());
}
