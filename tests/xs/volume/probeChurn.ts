/*
 * The kill -9 check: `churn` writes new versions of two files until it is killed (in place
 * with "w", and by a rename over the old one), printing each version once it is closed;
 * `verify`, in a new process, finds a consistent volume where each file holds one complete
 * version: the last one printed, or the one being written when the process died.
 */
import {print} from "host";
import {stat, rename, remove, mkdir, rmdir, mountImage, unmount, info, Directory, FileHandle} from "volume";
import {check, equal} from "probeReport";
import {pattern, same, writeFile, readFile} from "probeData";

const kHeader = 8;
const kVariants = 8;

// A version's bytes: its number and length, then one of a few patterns (made once, so the
// churn spends its time writing), lengths 20 KB to 200 KB so versions differ in size too.
function variant(version: number): Uint8Array {
	const which = version % kVariants;
	const length = 20000 + (which * 26000);
	return pattern(kHeader + length, which);
}

function stamp(bytes: Uint8Array, version: number): Uint8Array {
	const header = new DataView(bytes.buffer);
	header.setUint32(0, version, true);
	header.setUint32(4, bytes.length - kHeader, true);
	return bytes;
}

function versionOf(path: string): number {
	const bytes = readFile(path);
	const version = new DataView(bytes.buffer).getUint32(0, true);
	same(bytes, stamp(variant(version), version));
	return version;
}

export function churn(image: string, first: number): void {
	const variants: Uint8Array[] = [];
	for (let which = 0; which < kVariants; which++)
		variants.push(variant(which));
	mountImage(image, 4 * 1048576);
	for (let version = first; ; version++) {
		const bytes = stamp(variants[version % kVariants], version);
		print(`writing ${version}`);
		writeFile("/data.bin", bytes);
		print(`committed ${version}`);
		writeFile("/next.tmp", bytes);
		rename("/next.tmp", "/renamed.bin");
		print(`renamed ${version}`);
	}
}

/** `committed` and `renamed`: the last versions printed (0: none). */
export function verify(image: string, committed: number, renamed: number): void {
	check("kill -9: the image mounts", () => {
		mountImage(image, 0);
	});

	check("kill -9: the file written in place holds a whole version", () => {
		const version = versionOf("/data.bin");
		if ((version !== committed) && (version !== committed + 1))
			throw new Error(`version ${version} after ${committed} committed`);
	});

	check("kill -9: the renamed file holds a whole version", () => {
		if (!renamed && !stat("/renamed.bin"))
			return;
		const version = versionOf("/renamed.bin");
		if ((version !== renamed) && (version !== renamed + 1))
			throw new Error(`version ${version} after ${renamed} renamed`);
	});

	check("kill -9: every entry is readable, the volume is writable", () => {
		const directory = new Directory("/");
		for (let entry = directory.next(); entry; entry = directory.next()) {
			if (!entry.directory)
				equal(readFile("/" + entry.name).length, entry.size, entry.name);
		}
		directory.close();
		if (stat("/next.tmp"))
			remove("/next.tmp");
		writeFile("/probe", pattern(50000, 1));
		same(readFile("/probe"), pattern(50000, 1));
		remove("/probe");
		if (!(info().used > 0))
			throw new Error("used");
		unmount();
	});
}

/** A second process must not open an image in use. */
export function locked(image: string): void {
	check("kill -9: an image in use by another process is EBUSY", () => {
		let code = "";
		try {
			mountImage(image, 0);
			unmount();
		}
		catch (error) {
			code = (error as Error).message;
		}
		equal(code, "EBUSY", "error");
	});
}

/** MiB/s of 1 MiB written then read back through FileHandle, `rounds` times. */
export function bench(rounds: number): void {
	const data = pattern(1048576, 7);
	const back = new Uint8Array(data.length);
	let writing = 0, reading = 0;
	for (let i = 0; i < rounds; i++) {
		let start = Date.now();
		const writer = new FileHandle("/bench", "w");
		writer.write(data);
		writer.close();
		writing += Date.now() - start;
		start = Date.now();
		const reader = new FileHandle("/bench", "r");
		reader.read(back);
		reader.close();
		reading += Date.now() - start;
	}
	same(back, data);
	remove("/bench");
	const small = pattern(1024, 3);
	let start = Date.now();
	mkdir("/small");
	for (let i = 0; i < 500; i++)
		writeFile(`/small/f${i}`, small);
	const creating = Date.now() - start;
	start = Date.now();
	let listed = 0;
	const directory = new Directory("/small");
	while (directory.next())
		listed++;
	directory.close();
	equal(listed, 500, "listed");
	const listing = Date.now() - start;
	start = Date.now();
	for (let i = 0; i < 500; i++)
		remove(`/small/f${i}`);
	rmdir("/small");
	const removing = Date.now() - start;
	print(`bench ${info().kind}: 500 x 1 KiB files: create ${creating} ms, list ${listing} ms, remove ${removing} ms`);
	print(`bench ${info().kind}: write ${(rounds * 1000 / Math.max(writing, 1)).toFixed(1)} MiB/s, read ${(rounds * 1000 / Math.max(reading, 1)).toFixed(1)} MiB/s (${rounds} x 1 MiB)`);
}
