/*
 * LittleFS's CRC (lfs_crc, declared in the SDK's lfs_util.h) for the Linux host, in place of
 * the SDK's lfs_util.c: the same CRC-32 (reflected polynomial 0xEDB88320, no final xor; the
 * caller passes the running value), the same results, a byte per table lookup and 8 bytes per
 * step (slicing by 8) instead of a nibble per lookup. LittleFS checksums every metadata tag
 * and entry it fetches and commits, mostly a few bytes at a time: the nibble loop was ~6% of
 * the instructions of small-file work. The tables (8 KiB) are built on first use; the devices
 * keep the SDK's 64-byte table (manifest.json).
 *
 * tests/crc.test.js compares this with the SDK's lfs_crc over random inputs.
 */
#include "lfs_util.h"

#define kPolynomial (0xEDB88320u)

// shared with volumeLfs.c's inline step (MODDEF_VOLUME_LFS_CRC)
uint32_t gVolumeCrcTables[8][256];
uint8_t gVolumeCrcBuilt;
#define gTables gVolumeCrcTables
#define gBuilt gVolumeCrcBuilt

void volumeCrcBuild(void)
{
	uint32_t i, value;
	int bit, k;

	for (i = 0; i < 256; i++) {
		value = i;
		for (bit = 0; bit < 8; bit++)
			value = (value >> 1) ^ (kPolynomial & (0u - (value & 1)));
		gTables[0][i] = value;
	}
	for (i = 0; i < 256; i++) {
		for (k = 1; k < 8; k++)
			gTables[k][i] = (gTables[k - 1][i] >> 8) ^ gTables[0][gTables[k - 1][i] & 0xFF];
	}
	gBuilt = 1;
}

uint32_t lfs_crc(uint32_t crc, const void *buffer, size_t size)
{
	const uint8_t *data = buffer;

	if (!gBuilt)
		volumeCrcBuild();
#if defined(__BYTE_ORDER__) && (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
	while (size >= 8) {
		uint32_t one, two;
		memcpy(&one, data, 4);
		memcpy(&two, data + 4, 4);
		one ^= crc;
		crc = gTables[7][one & 0xFF] ^ gTables[6][(one >> 8) & 0xFF] ^ gTables[5][(one >> 16) & 0xFF] ^ gTables[4][one >> 24]
			^ gTables[3][two & 0xFF] ^ gTables[2][(two >> 8) & 0xFF] ^ gTables[1][(two >> 16) & 0xFF] ^ gTables[0][two >> 24];
		data += 8;
		size -= 8;
	}
#endif
	while (size--)
		crc = (crc >> 8) ^ gTables[0][(crc ^ *data++) & 0xFF];
	return crc;
}
