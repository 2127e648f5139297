/*
 * The Moddable SDK's "file" API for the user's own app, over the server's volume: the app
 * and the FTP server share one LittleFS instance per partition (two would each cache
 * metadata the other changes, and corrupt it).
 *
 * On a device the first use mounts the storage partition when nothing is mounted yet; on
 * the Linux host the server mounts the volume before the app runs.
 * Failures the SDK reports as `false` (a missing file) are `false` here too; other failures
 * throw the volume's Error ("ENOSPC", "EIO"...).
 */
import {FileHandle, Directory as VolumeDirectory, stat, remove, rename, mkdir, rmdir, info, mounted, mountPartition} from "volume";

/** files/service.ts's TEMPORARY_PREFIX: this module is also built without the server (tests/xs/volume) */
const TEMPORARY_PREFIX = ".ftpd-part-";

function ready(): void {
	if (undefined === mounted())
		mountPartition();
}

export class File {
	#handle: FileHandle;

	/** `write`: read/write without truncating, creating the file when missing. */
	constructor(path: string, write?: boolean) {
		ready();
		if (write && !stat(path))
			new FileHandle(path, "w").close();		// "r+" does not create
		this.#handle = new FileHandle(path, write ? "r+" : "r");
	}

	/** Reads `count` bytes (default: up to the end) from the position. */
	read<T extends typeof ArrayBuffer | typeof String>(type: T, count?: number): T extends typeof String ? string : ArrayBuffer {
		const handle = this.#handle;
		const available = handle.size - handle.position;
		if (available <= 0)
			throw new Error("read past end of file");
		const length = ((undefined === count) || (count > available)) ? available : count;
		const buffer = new ArrayBuffer(length);
		const got = handle.read(buffer);
		if (got !== length)
			throw new Error("EIO");		// the file shrank under us
		return ((String as unknown) === type ? String.fromArrayBuffer(buffer) : buffer) as T extends typeof String ? string : ArrayBuffer;
	}

	/** Writes each item at the position: strings as UTF-8, numbers as one byte, buffers as they are. */
	write(...items: (ArrayBuffer | ArrayBufferView | string | number)[]): void {
		for (const item of items) {
			if ("number" === typeof item)
				this.#handle.write(Uint8Array.of(item));
			else
				this.#handle.write(item);
		}
	}

	close(): void {
		this.#handle.close();
	}

	get length(): number {
		return this.#handle.size;
	}

	get position(): number {
		return this.#handle.position;
	}

	set position(value: number) {
		this.#handle.position = value;
	}

	/** Deletes a file or an empty directory; false when there is none. */
	static delete(path: string): boolean {
		ready();
		const entry = stat(path);
		if (!entry)
			return false;
		if (entry.directory)
			rmdir(path);
		else
			remove(path);
		return true;
	}

	static exists(path: string): boolean {
		ready();
		return undefined !== stat(path);
	}

	/** `to` is a path, or a name in the directory of `from`. False when `from` is missing. */
	static rename(from: string, to: string): boolean {
		ready();
		if (!to.startsWith("/")) {
			if (to.includes("/"))
				throw new Error("EINVAL");
			to = from.slice(0, from.lastIndexOf("/") + 1) + to;
		}
		if (!stat(from))
			return false;
		rename(from, to);
		return true;
	}
}

export interface IteratorFileEntry {
	name: string;
	length: number;
}

export interface IteratorDirectoryEntry {
	name: string;
	length: undefined;
}

/**
 * Entries of a directory; closes itself at the end. Uploads in progress (the server's hidden
 * temporaries) are left out, as FTP listings leave them out: an app that reads what clients
 * upload sees each file only once it is complete, under its own name.
 */
export class Iterator {
	#directory: VolumeDirectory | undefined;

	constructor(path: string) {
		ready();
		this.#directory = new VolumeDirectory(path);
	}

	next(): IteratorFileEntry | IteratorDirectoryEntry | undefined {
		let entry = this.#directory?.next();
		while (entry?.name.startsWith(TEMPORARY_PREFIX))
			entry = this.#directory!.next();
		if (!entry) {
			this.#directory?.close();
			this.#directory = undefined;
			return undefined;
		}
		return entry.directory ? {name: entry.name, length: undefined} : {name: entry.name, length: entry.size};
	}

	[Symbol.iterator](): IterableIterator<IteratorFileEntry | IteratorDirectoryEntry> {
		const iterator = this;
		return {
			next() {
				const value = iterator.next();
				return (undefined === value) ? {done: true, value: undefined} : {done: false, value};
			},
			[Symbol.iterator]() {
				return this;
			}
		} as IterableIterator<IteratorFileEntry | IteratorDirectoryEntry>;
	}
}

export class Directory {
	/** Nothing when something exists at `path` already. */
	static create(path: string): void {
		ready();
		if (!stat(path))
			mkdir(path);
	}

	/** Empty directories only; false when there is none. */
	static delete(path: string): boolean {
		ready();
		if (!stat(path))
			return false;
		rmdir(path);
		return true;
	}
}

export class System {
	static config(): {maxPathLength: number} {
		ready();
		return {maxPathLength: info().maxPathLength};
	}

	static info(): {used: number, total: number} {
		ready();
		const {used, total} = info();
		return {used, total};
	}
}

export default Object.freeze({File, Iterator, System, Directory});
