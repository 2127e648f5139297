/*
 * Block device for the ESP32: the flash data partition named by the manifest define
 * volume.partition ("storage" by default), through esp_partition_*.
 */
#include "volumeDevice.h"

#if ESP32

#include "esp_partition.h"

#ifndef MODDEF_VOLUME_PARTITION
	#define MODDEF_VOLUME_PARTITION "storage"
#endif

// LittleFS's block is the flash's erase sector.
#define kBlockSize (4096)

static int partitionRead(const struct lfs_config *config, lfs_block_t block, lfs_off_t offset, void *buffer, lfs_size_t size)
{
	if (ESP_OK != esp_partition_read(config->context, (block * kBlockSize) + offset, buffer, size))
		return LFS_ERR_IO;
	return LFS_ERR_OK;
}

static int partitionProg(const struct lfs_config *config, lfs_block_t block, lfs_off_t offset, const void *buffer, lfs_size_t size)
{
	if (ESP_OK != esp_partition_write(config->context, (block * kBlockSize) + offset, buffer, size))
		return LFS_ERR_IO;
	return LFS_ERR_OK;
}

static int partitionErase(const struct lfs_config *config, lfs_block_t block)
{
	if (ESP_OK != esp_partition_erase_range(config->context, block * kBlockSize, kBlockSize))
		return LFS_ERR_IO;
	return LFS_ERR_OK;
}

// esp_partition_write returns once the flash is programmed: nothing is buffered.
static int partitionSync(const struct lfs_config *config)
{
	(void)config;
	return LFS_ERR_OK;
}

int32_t volumePartitionOpen(struct lfs_config *config)
{
	const esp_partition_t *partition = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, MODDEF_VOLUME_PARTITION);

	if (!partition)
		return VOLUME_ENOENT;
	if (partition->size < (3 * kBlockSize))
		return VOLUME_EINVAL;
	config->context = (void *)partition;
	config->read = partitionRead;
	config->prog = partitionProg;
	config->erase = partitionErase;
	config->sync = partitionSync;
	config->block_size = kBlockSize;
	config->block_count = partition->size / kBlockSize;
	return VOLUME_OK;
}

// The partition table entry is static: nothing to release.
void volumePartitionClose(const struct lfs_config *config)
{
	(void)config;
}

#endif
