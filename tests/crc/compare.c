/*
 * Our lfs_crc (modules/volume/volumeCrc.c, built as `ours_crc`) against the SDK's (its
 * lfs_util.c, built as `sdk_crc`): random lengths, contents, alignments and running values.
 * Prints "ok N" or the first difference, exit status 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

uint32_t ours_crc(uint32_t crc, const void *buffer, size_t size);
uint32_t sdk_crc(uint32_t crc, const void *buffer, size_t size);

static uint64_t gState = 0x9E3779B97F4A7C15ull;

static uint32_t next(void)
{
	gState ^= gState << 13;
	gState ^= gState >> 7;
	gState ^= gState << 17;
	return (uint32_t)(gState >> 16);
}

int main(void)
{
	static uint8_t data[8192 + 16];
	int round, checked = 0;
	size_t i;

	for (round = 0; round < 20000; round++) {
		size_t size = (round < 100) ? (size_t)round : ((next() & 1) ? (next() % 64) : (next() % 8192));
		size_t shift = next() % 16;
		uint32_t seed = (round & 1) ? 0xFFFFFFFFu : next();
		uint32_t ours, sdk;
		for (i = 0; i < size; i++)
			data[shift + i] = (uint8_t)next();
		ours = ours_crc(seed, data + shift, size);
		sdk = sdk_crc(seed, data + shift, size);
		if (ours != sdk) {
			printf("differ: size %zu, shift %zu, seed %08x: ours %08x, sdk %08x\n", size, shift, seed, ours, sdk);
			return 1;
		}
		// chained, as LittleFS runs it across pieces
		if (size > 1) {
			size_t cut = next() % size;
			ours = ours_crc(ours_crc(seed, data + shift, cut), data + shift + cut, size - cut);
			if (ours != sdk) {
				printf("differ chained: size %zu, cut %zu\n", size, cut);
				return 1;
			}
		}
		checked++;
	}
	printf("ok %d\n", checked);
	return 0;
}
