/*
 * Block device for the ESP8266: the flash region the SDK's linker script reserves for file
 * storage (_SPIFFS_start to _SPIFFS_end, as the SDK's file and flash modules find it),
 * through the SDK's modSPIRead/modSPIWrite/modSPIErase: spi_flash_* with the alignment the
 * ESP8266 needs and the flash interrupt masked.
 */
#include "volumeDevice.h"

#if defined(__ets__) && !ESP32

#include "xsHost.h"

extern uint8_t _SPIFFS_start;
extern uint8_t _SPIFFS_end;

// LittleFS's block is the flash's erase sector.
#define kBlockSize (kFlashSectorSize)

// One region, known at link time: the offset into the flash is all the context there is.
static uint32_t gStart;

static int partitionRead(const struct lfs_config *config, lfs_block_t block, lfs_off_t offset, void *buffer, lfs_size_t size)
{
	(void)config;
	if (!modSPIRead(gStart + (block * kBlockSize) + offset, size, buffer))
		return LFS_ERR_IO;
	return LFS_ERR_OK;
}

static int partitionProg(const struct lfs_config *config, lfs_block_t block, lfs_off_t offset, const void *buffer, lfs_size_t size)
{
	(void)config;
	if (!modSPIWrite(gStart + (block * kBlockSize) + offset, size, buffer))
		return LFS_ERR_IO;
	return LFS_ERR_OK;
}

static int partitionErase(const struct lfs_config *config, lfs_block_t block)
{
	(void)config;
	if (!modSPIErase(gStart + (block * kBlockSize), kBlockSize))
		return LFS_ERR_IO;
	return LFS_ERR_OK;
}

// spi_flash_write returns once the flash is programmed: nothing is buffered.
static int partitionSync(const struct lfs_config *config)
{
	(void)config;
	return LFS_ERR_OK;
}

int32_t volumePartitionOpen(struct lfs_config *config)
{
	uint32_t size = (uint32_t)(&_SPIFFS_end - &_SPIFFS_start);

	if (size < (3 * kBlockSize))
		return VOLUME_ENOENT;		// the build reserved no storage
	gStart = (uint32_t)((uintptr_t)&_SPIFFS_start - (uintptr_t)kFlashStart);
	config->context = NULL;
	config->read = partitionRead;
	config->prog = partitionProg;
	config->erase = partitionErase;
	config->sync = partitionSync;
	config->block_size = kBlockSize;
	config->block_count = size / kBlockSize;
	return VOLUME_OK;
}

void volumePartitionClose(const struct lfs_config *config)
{
	(void)config;
}

#endif
