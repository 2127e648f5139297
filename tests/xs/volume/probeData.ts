/*
 * Test data and whole-file helpers over the volume's JS face.
 */
import {FileHandle} from "volume";

/** Bytes that differ from block to block (4 KiB), so a misplaced block shows. */
export function pattern(length: number, seed = 0): Uint8Array {
	const bytes = new Uint8Array(length);
	for (let i = 0; i < length; i++)
		bytes[i] = ((i * 7) + ((i >>> 12) * 13) + seed) & 255;
	return bytes;
}

export function same(actual: Uint8Array, expected: Uint8Array): boolean {
	if (actual.length !== expected.length)
		throw new Error(`length ${actual.length}, expected ${expected.length}`);
	for (let i = 0; i < actual.length; i++) {
		if (actual[i] !== expected[i])
			throw new Error(`byte ${i}: ${actual[i]}, expected ${expected[i]}`);
	}
	return true;
}

export function writeFile(path: string, data: Uint8Array | string, mode: "w" | "a" = "w"): void {
	const file = new FileHandle(path, mode);
	try {
		file.write(data);
	}
	finally {
		file.close();
	}
}

export function readFile(path: string): Uint8Array {
	const file = new FileHandle(path, "r");
	try {
		const bytes = new Uint8Array(file.size);
		let offset = 0;
		while (offset < bytes.length) {
			const count = file.read(bytes.subarray(offset));
			if (0 === count)
				throw new Error(`end of file at ${offset} of ${bytes.length}`);
			offset += count;
		}
		if (0 !== file.read(new ArrayBuffer(1)))
			throw new Error("bytes past the size");
		return bytes;
	}
	finally {
		file.close();
	}
}

export function readText(path: string): string {
	return String.fromArrayBuffer(readFile(path).buffer as ArrayBuffer);
}

export function now(): number {
	return Math.floor(Date.now() / 1000);
}

/** Throws unless `mtime` is within a few seconds of `at`. */
export function near(mtime: number | undefined, at: number): void {
	if ((undefined === mtime) || (Math.abs(mtime - at) > 5))
		throw new Error(`mtime ${mtime} is not near ${at}`);
}
