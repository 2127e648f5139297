/*
 * One data transfer of a session (RETR, STOR, APPE, STOU, LIST, NLST, MLSD), from its command
 * to its last reply: what the session needs once the data connection is there, and what SITE
 * WHO, the live console and the transfer's log line show.
 *
 * A record, not an async function: a suspended async function holds about 42 slots and a
 * promise for as long as the transfer runs, and each await of it is a turn of promise jobs.
 * The session drives the transfer from callbacks instead (Session.startTransfer).
 */
import type {DataConnection, FileSource, TransferCallback} from "ftpsock";

/** An upload into a temporary file, renamed over its target once complete. */
export interface Replacement {
	readonly temporary: string;
	readonly path: string;
}

/**
 * Starts the bytes moving natively on the open data connection, with `done` as the native
 * callback (ftpsock's start* methods); returns the code of why they could not start, if so.
 */
export type Mover = (connection: DataConnection, done: TransferCallback) => string | undefined;

/** A transfer's record: made as a literal by Session.startTransfer (no constructor to call). */
export interface Transfer {
	/** the 150 reply's text */
	readonly opening: string;
	/** the file, or the listed folder, for SITE WHO and the log line */
	readonly path: string;
	/** bytes to move, -1 when unknown */
	readonly size: number;
	readonly move: Mover;
	/** an upload renamed over its target once complete */
	readonly replacing: Replacement | undefined;
	/** a download's file, opened by its command: closed here when the transfer never starts */
	readonly source: FileSource | undefined;
	/** ms since the epoch when the 150 went; 0 while the data connection is awaited */
	start: number;
	/** ABOR ended it: answered 426, then 226 */
	aborted?: boolean;
	/** the session's control connection ended meanwhile: the session ends with the transfer */
	orphaned?: boolean;
}
