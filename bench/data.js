// The files every server serves, made once per run: random bytes (so nothing along the way
// can profit from compressible or repeated content), identical for every server.
import {mkdirSync, writeFileSync, readFileSync, cpSync, chownSync, readdirSync, statSync} from "node:fs";
import {randomBytes} from "node:crypto";
import {join} from "node:path";

export const BIG_NAME = "big.bin";
export const BIG_SIZE = 16 * 1024 * 1024;
export const SMALL_DIR = "small";
export const SMALL_COUNT = 200;
export const SMALL_SIZE = 4096;
export const LIST_DIR = "list";
export const LIST_COUNT = 500;
/** Where uploads go: created empty in every root, emptied after each timed run. */
export const UPLOAD_DIR = "up";

export const smallName = i => `f${String(i).padStart(3, "0")}.bin`;
export const listName = i => `entry-${String(i).padStart(4, "0")}.txt`;

/** Writes the data set into `dir` and returns the buffers the uploads send. */
export function makeData(dir) {
	const big = randomBytes(BIG_SIZE);
	const small = Array.from({length: SMALL_COUNT}, () => randomBytes(SMALL_SIZE));
	mkdirSync(join(dir, SMALL_DIR), {recursive: true});
	mkdirSync(join(dir, LIST_DIR), {recursive: true});
	mkdirSync(join(dir, UPLOAD_DIR), {recursive: true});
	writeFileSync(join(dir, BIG_NAME), big);
	small.forEach((bytes, i) => writeFileSync(join(dir, SMALL_DIR, smallName(i)), bytes));
	// listing entries of different sizes, so size columns vary as in a real folder
	for (let i = 0; i < LIST_COUNT; i++)
		writeFileSync(join(dir, LIST_DIR, listName(i)), randomBytes(i % 97));
	return {big, small};
}

/** A private copy of the data set for one server (uploads must not meet across servers). */
export function copyData(from, to, owner) {
	cpSync(from, to, {recursive: true});
	if (owner)
		chownTree(to, owner.uid, owner.gid);
}

function chownTree(path, uid, gid) {
	chownSync(path, uid, gid);
	if (statSync(path).isDirectory()) {
		for (const name of readdirSync(path))
			chownTree(join(path, name), uid, gid);
	}
}

/** Fills an empty volume through FTP (for the LittleFS image, which has no folder to copy to). */
export async function uploadData(client, {big, small}, dir) {
	await client.makeDirectory(SMALL_DIR);
	await client.makeDirectory(LIST_DIR);
	await client.makeDirectory(UPLOAD_DIR);
	await client.store(BIG_NAME, big);
	for (let i = 0; i < SMALL_COUNT; i++)
		await client.store(`${SMALL_DIR}/${smallName(i)}`, small[i]);
	for (let i = 0; i < LIST_COUNT; i++)
		await client.store(`${LIST_DIR}/${listName(i)}`, readFileSync(join(dir, LIST_DIR, listName(i))));
}
