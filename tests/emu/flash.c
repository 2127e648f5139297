/*
 * The ESP8266's flash, as the SDK's modSPIRead/modSPIWrite/modSPIErase (xs/platforms/esp/xsHost.c,
 * compiled from the SDK for this test) reach it: spi_flash_read, spi_flash_write and
 * spi_flash_erase_sector of the vendor SDK, over a simulated NOR flash holding the storage
 * region (_SPIFFS_start to _SPIFFS_end, emu.ld). Compiled with the device build's compile line,
 * so the prototypes are the vendor headers'.
 *
 * NOR rules, and the SDK's: a flash address, a RAM buffer and a length must all be multiples of
 * 4 (the ROM moves words); a program can only clear bits (a bit that would go from 0 to 1 needs
 * an erase first: on a real chip the byte silently keeps its old bits); an erase sets a whole
 * 4 KiB sector to 0xFF. Anything else is reported and fails the operation, and counted in
 * emuFlashViolations() so the suite fails even if LittleFS recovered. Also the flash interrupt
 * mask must be balanced around each operation (ets_isr_mask/ets_isr_unmask).
 */
#include "c_types.h"
#include "spi_flash.h"
#include "ets_sys.h"

#include "emu.h"
#include "emuFlash.h"

extern uint8_t _SPIFFS_start;
extern uint8_t _SPIFFS_end;

#define kFlashMapped (0x40200000)
#define kSectorSize (SPI_FLASH_SEC_SIZE)
#define kRegionMax (256 * 1024)

static uint32_t gWords[kRegionMax / 4];
static uint32_t gSaved[kRegionMax / 4];
static uint32_t gRegionStart, gRegionSize;
static EmuFlashStatsRecord gStats;
static int gMasked;
static int gProgramsLeft = -1;		// a power cut after this many programs; -1: none

static void violation(const char *what, uint32_t address, uint32_t size, const void *buffer)
{
	gStats.violations++;
	emuPrint("# flash: %s (address 0x%06x, %u bytes, buffer %p)\n", what, (unsigned)address, (unsigned)size, buffer);
}

void emuFlashInit(void)
{
	uint32_t i;

	gRegionStart = (uint32_t)&_SPIFFS_start - kFlashMapped;
	gRegionSize = (uint32_t)(&_SPIFFS_end - &_SPIFFS_start);
	if (gRegionSize > kRegionMax) {
		emuPrint("not ok - the storage region (%u bytes) is larger than the simulated flash\n", (unsigned)gRegionSize);
		emuExit(1);
	}
	// a new chip: erased
	for (i = 0; i < (gRegionSize / 4); i++)
		gWords[i] = 0xFFFFFFFF;
}

void emuFlashFill(uint8_t value)
{
	uint32_t word = value * 0x01010101U, i;

	for (i = 0; i < (gRegionSize / 4); i++)
		gWords[i] = word;
}

void emuFlashSave(void)
{
	uint32_t i;

	for (i = 0; i < (gRegionSize / 4); i++)
		gSaved[i] = gWords[i];
}

void emuFlashRestore(void)
{
	uint32_t i;

	for (i = 0; i < (gRegionSize / 4); i++)
		gWords[i] = gSaved[i];
}

void emuFlashCutPowerAfter(int programs)
{
	gProgramsLeft = programs;
}

int emuFlashPowerIsCut(void)
{
	return 0 == gProgramsLeft;
}

const EmuFlashStatsRecord *emuFlashStats(void)
{
	gStats.masked = gMasked;
	return &gStats;
}

// Checks the SDK's rules for one call; returns the first word's index in the region, or -1.
static int32_t locate(const char *call, uint32_t address, const void *buffer, uint32_t size)
{
	if ((address & 3) || (((uintptr_t)buffer) & 3) || (size & 3)) {
		violation(call, address, size, buffer);
		return -1;
	}
	if ((address < gRegionStart) || ((address + size) > (gRegionStart + gRegionSize)) || ((address + size) < address)) {
		violation("access outside the storage region", address, size, buffer);
		return -1;
	}
	return (int32_t)((address - gRegionStart) / 4);
}

SpiFlashOpResult spi_flash_read(uint32 src_addr, uint32 *des_addr, uint32 size)
{
	int32_t at = locate("spi_flash_read: address, buffer or size not a multiple of 4", src_addr, des_addr, size);
	uint32_t i;

	if (at < 0)
		return SPI_FLASH_RESULT_ERR;
	gStats.reads++;
	gStats.bytesRead += size;
	for (i = 0; i < (size / 4); i++)
		des_addr[i] = gWords[at + i];		// word stores: an unaligned buffer would trap, as on the chip
	return SPI_FLASH_RESULT_OK;
}

SpiFlashOpResult spi_flash_write(uint32 des_addr, uint32 *src_addr, uint32 size)
{
	int32_t at = locate("spi_flash_write: address, buffer or size not a multiple of 4", des_addr, src_addr, size);
	uint32_t i;

	if (at < 0)
		return SPI_FLASH_RESULT_ERR;
	if (!gMasked)
		violation("spi_flash_write with the flash interrupt unmasked", des_addr, size, src_addr);
	if (0 == gProgramsLeft)
		return SPI_FLASH_RESULT_ERR;		// no power: nothing reaches the flash
	if (gProgramsLeft > 0)
		gProgramsLeft--;
	gStats.writes++;
	gStats.bytesWritten += size;
	for (i = 0; i < (size / 4); i++) {
		uint32_t word = src_addr[i];

		if (word & ~gWords[at + i]) {
			violation("a program sets bits an erase did not: the flash would keep the old bits", des_addr + (i * 4), 4, src_addr);
			gStats.unerasedPrograms++;
		}
		gWords[at + i] &= word;
	}
	return SPI_FLASH_RESULT_OK;
}

SpiFlashOpResult spi_flash_erase_sector(uint16 sec)
{
	uint32_t address = (uint32_t)sec * kSectorSize, i;
	int32_t at = locate("spi_flash_erase_sector", address, NULL, kSectorSize);

	if (at < 0)
		return SPI_FLASH_RESULT_ERR;
	if (!gMasked)
		violation("spi_flash_erase_sector with the flash interrupt unmasked", address, kSectorSize, NULL);
	if (0 == gProgramsLeft)
		return SPI_FLASH_RESULT_ERR;
	gStats.erases++;
	for (i = 0; i < (kSectorSize / 4); i++)
		gWords[at + i] = 0xFFFFFFFF;
	return SPI_FLASH_RESULT_OK;
}

void ets_isr_mask(int intr)
{
	(void)intr;
	gMasked++;
}

void ets_isr_unmask(int intr)
{
	(void)intr;
	if (gMasked <= 0)
		violation("ets_isr_unmask without ets_isr_mask", 0, 0, NULL);
	else
		gMasked--;
}

// The Arduino core lets its other tasks run here; there are none.
void optimistic_yield(uint32_t interval_us)
{
	(void)interval_us;
}
