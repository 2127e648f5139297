/*
 * The simulated flash behind spi_flash_* (flash.c), for the volume suite.
 */
#ifndef __EMU_FLASH_H__
#define __EMU_FLASH_H__

#include <stdint.h>

typedef struct {
	uint32_t reads, writes, erases;
	uint32_t bytesRead, bytesWritten;
	uint32_t violations;			// calls against the SDK's or NOR's rules
	uint32_t unerasedPrograms;		// programs that needed an erase first
	int masked;						// flash interrupt mask depth now (0 between operations)
} EmuFlashStatsRecord;

// Erased (all 0xFF), as a new chip.
void emuFlashInit(void);
// Every byte of the storage region set to `value` (a region that never held LittleFS).
void emuFlashFill(uint8_t value);
// A copy of the whole region, and back: the state of the flash at one instant.
void emuFlashSave(void);
void emuFlashRestore(void);
// After `programs` more programs, every program and erase fails and changes nothing, as when the
// power is cut; -1 restores it.
void emuFlashCutPowerAfter(int programs);
int emuFlashPowerIsCut(void);
const EmuFlashStatsRecord *emuFlashStats(void);

#endif
