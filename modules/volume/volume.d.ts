/*
 * The volume's JS face: the one storage the server (and the user's app) sees.
 * Every failing call throws an Error whose message is a VOLUME_E* name ("ENOENT", "ENOSPC"...).
 */
declare module "volume" {
	export interface Entry {
		/** last path component ("" for the root) */
		name: string;
		/** bytes; 0 for directories */
		size: number;
		/** modification time, seconds since the Unix epoch (UTC); 0 when unknown */
		mtime: number;
		directory: boolean;
	}
	export interface Info {
		/** "littlefs" or "posix" */
		kind: string;
		/** bytes */
		total: number;
		used: number;
		blockSize: number;
		/** longest whole path accepted, in bytes (each component: 255) */
		maxPathLength: number;
	}

	/** Linux host: LittleFS on an image file, created and formatted when missing (size in bytes, multiple of 4096). Writes go through to the file as LittleFS programs blocks. EBUSY: another process has it mounted (locked); EFTYPE: an existing file that is not a LittleFS image (never formatted). */
	export function mountImage(path: string, size: number): void;
	/** Linux host: a POSIX folder; symlinks are refused. */
	export function mountRoot(directory: string): void;
	/** Devices: LittleFS on the flash storage partition, formatted when it does not mount. Nothing when it is mounted already (the app's "file" module mounts it on first use). */
	export function mountPartition(): void;
	/** Closes every open FileHandle and Directory (their later use throws ENOTMOUNTED); nothing when nothing is mounted. */
	export function unmount(): void;
	/** The kind ("littlefs" or "posix") of the mounted volume, undefined when none. mountImage and mountRoot throw EEXIST while a volume is mounted. */
	export function mounted(): string | undefined;

	export function info(): Info;
	/** undefined when missing (also when a component of the path is a file) */
	export function stat(path: string): Entry | undefined;
	export function mkdir(path: string): void;
	/** empty directories only */
	export function rmdir(path: string): void;
	/** files only */
	export function remove(path: string): void;
	/** atomic; replaces an existing file at `to` */
	export function rename(from: string, to: string): void;
	/** sets the modification time (seconds since the epoch, UTC) */
	export function setTime(path: string, mtime: number): void;

	/** Entries of a directory, without "." and "..", in no particular order. On a POSIX volume, symlinks and special files are left out. */
	export class Directory {
		constructor(path: string);
		/** undefined at the end (which also releases the directory's C state) and after close */
		next(): Entry | undefined;
		close(): void;
	}

	/**
	 * mode: "r" read, "w" truncate or create, "a" append or create, "r+" read/write without truncating.
	 * Reading a handle not opened for reading, writing one not opened for writing, or any use after close() is EINVAL.
	 */
	export class FileHandle {
		constructor(path: string, mode: "r" | "w" | "a" | "r+");
		/** reads into `buffer` (or a view's bytes), returns bytes read (0 at end) */
		read(buffer: ArrayBuffer | ArrayBufferView): number;
		/** writes all of it (a string as UTF-8); returns bytes written */
		write(data: ArrayBuffer | ArrayBufferView | string): number;
		position: number;
		readonly size: number;
		/** commits; stamps the modification time of a written file */
		close(): void;
	}
}
