/*
 * The ESP8266's real-time clock as the SDK's modGetTimeOfDay/modSetTime (xsHost.c) reach it:
 * rtctime_* (the SDK's build/devices/esp/lib/rtc reads the chip's RTC registers, which the
 * emulated board does not have). Seconds set by rtctime_settimeofday, then running on CCOUNT.
 * Compiled with the device build's compile line, against the SDK's rtctime.h.
 */
#include "rtctime.h"

#include "emu.h"

static uint64_t gBase;			// microseconds since the epoch at emuMicroseconds() == 0

void rtctime_early_startup(void)
{
}

void rtctime_late_startup(void)
{
}

void rtctime_gettimeofday(struct rtc_timeval *tv)
{
	uint64_t now = gBase + emuMicroseconds();

	tv->tv_sec = (uint32_t)(now / 1000000);
	tv->tv_usec = (uint32_t)(now % 1000000);
}

void rtctime_settimeofday(const struct rtc_timeval *tv)
{
	gBase = (((uint64_t)tv->tv_sec * 1000000) + tv->tv_usec) - emuMicroseconds();
}
