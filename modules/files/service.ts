/*
 * The file service: what the protocol asks of storage, on top of the volume. The commands
 * never touch the volume directly; they get FTP reply codes from here.
 *
 * Uploads go to a temporary name beside the target and replace it only once complete
 * (the volume's rename is atomic), so a failed upload never destroys the file it replaces.
 */
import * as volume from "volume";
import {FileSource} from "ftpsock";
import {joinPath, parentOf} from "./paths";
import type {ListEntry} from "../listing/format";

/** A failure with the FTP reply that reports it. */
export class FtpError extends Error {
	readonly code: number;
	constructor(code: number, message: string) {
		super(message);
		this.code = code;
	}
}

const REPLIES: Readonly<Record<string, readonly [number, string]>> = Object.freeze({
	ENOENT: [550, "No such file or directory."],
	EEXIST: [550, "File exists."],
	ENOTDIR: [550, "Not a directory."],
	EISDIR: [550, "Is a directory."],
	ENOTEMPTY: [550, "Directory not empty."],
	ENOSPC: [552, "Insufficient storage space."],
	ENAMETOOLONG: [553, "File name too long."],
	EINVAL: [553, "File name not allowed."],
	EACCES: [550, "Permission denied."],
	EIO: [451, "Local error in processing."],
	ENOMEM: [451, "Out of memory."],
}, true);

/** The FTP reply for a volume or transfer error code. */
export function replyFor(code: string): FtpError {
	const [number, text] = REPLIES[code] ?? [451, `Local error: ${code}.`];
	return new FtpError(number, text);
}

function wrap(error: unknown): FtpError {
	if (error instanceof FtpError)
		return error;
	return replyFor((error as Error).message);
}

/** Temporary upload names start with this; they are hidden from listings and from clients. */
export const TEMPORARY_PREFIX = ".ftpd-part-";

/**
 * A name in a path that starts as a temporary upload's: such a path is hidden, whichever of its
 * names it is (listings never show a folder so named either, and MKD cannot make one). One
 * includes() where the last name's startsWith() took a lastIndexOf() too.
 */
export const HIDDEN_NAME = "/" + TEMPORARY_PREFIX;

let uploadSerial = 0;

export class FileService {
	stat(path: string): ListEntry | undefined {
		try {
			return volume.stat(path);
		}
		catch (error) {
			// a file used as a folder in the path: simply not there
			const code = (error as Error).message;
			if ((code === "ENOENT") || (code === "ENOTDIR"))
				return undefined;
			throw wrap(error);
		}
	}

	/** The entry, or 550. */
	require(path: string): ListEntry {
		const entry = this.stat(path);
		if (!entry || isHidden(path))
			throw replyFor("ENOENT");
		return entry;
	}

	requireDirectory(path: string): ListEntry {
		const entry = this.require(path);
		if (!entry.directory)
			throw replyFor("ENOTDIR");
		return entry;
	}

	requireFile(path: string): ListEntry {
		const entry = this.require(path);
		if (entry.directory)
			throw new FtpError(550, "Not a plain file.");
		return entry;
	}

	/**
	 * A plain file opened for a download, or 550: its size comes from the open file, and the
	 * transfer sends that file (ftpsock's sendFile takes it over) without looking its path up
	 * again. Until then the caller closes it on every path that does not reach sendFile.
	 * `path` comes from Session.resolve(), which has refused a temporary upload's name: RETR
	 * runs for every download, so it is not checked again here.
	 */
	openForDownload(path: string): FileSource {
		try {
			return new FileSource(path);
		}
		catch (error) {
			const code = (error as Error).message;
			if (code === "EISDIR")
				throw new FtpError(550, "Not a plain file.");
			// a file used as a folder in the path: simply not there, as stat() has it
			throw replyFor((code === "ENOTDIR") ? "ENOENT" : code);
		}
	}

	/** Entries of a folder, without temporary uploads. */
	*list(path: string): Generator<ListEntry> {
		let directory: volume.Directory;
		try {
			directory = new volume.Directory(path);
		}
		catch (error) {
			throw wrap(error);
		}
		try {
			for (let entry = directory.next(); entry; entry = directory.next()) {
				if (!entry.name.startsWith(TEMPORARY_PREFIX))
					yield entry;
			}
		}
		finally {
			directory.close();
		}
	}

	mkdir(path: string): void {
		this.#call(() => volume.mkdir(path));
	}

	rmdir(path: string): void {
		this.requireDirectory(path);
		this.#call(() => volume.rmdir(path));
	}

	remove(path: string): void {
		this.requireFile(path);
		this.#call(() => volume.remove(path));
	}

	rename(from: string, to: string): void {
		this.#call(() => volume.rename(from, to));
	}

	setTime(path: string, mtime: number): void {
		this.#call(() => volume.setTime(path, mtime));
	}

	info(): volume.Info {
		return this.#call(() => volume.info());
	}

	/** A fresh temporary name in the folder of `target`, for an upload that replaces it when complete. */
	temporaryFor(target: string): string {
		return joinPath(parentOf(target), `${TEMPORARY_PREFIX}${++uploadSerial}`);
	}

	/** Removes a temporary upload, if it is there. */
	discard(path: string): void {
		try {
			volume.remove(path);
		}
		catch (error) {
			if ((error as Error).message !== "ENOENT")
				throw wrap(error);
		}
	}

	/**
	 * Removes temporary uploads left by a power loss or a kill in mid-upload (the files they
	 * were replacing are intact); returns how many. Run once, before serving.
	 */
	sweepTemporaries(folder = "/"): number {
		let removed = 0;
		const subfolders: string[] = [];
		const directory = new volume.Directory(folder);
		try {
			for (let entry = directory.next(); entry; entry = directory.next()) {
				const path = joinPath(folder, entry.name);
				if (entry.directory)
					subfolders.push(path);
				else if (entry.name.startsWith(TEMPORARY_PREFIX)) {
					volume.remove(path);
					removed++;
				}
			}
		}
		finally {
			directory.close();
		}
		for (const path of subfolders)
			removed += this.sweepTemporaries(path);
		return removed;
	}

	#call<T>(operation: () => T): T {
		try {
			return operation();
		}
		catch (error) {
			throw wrap(error);
		}
	}
}

/** Temporary uploads are not the client's to see or touch. */
export function isHidden(path: string): boolean {
	return path.includes(HIDDEN_NAME);
}
