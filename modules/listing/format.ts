/*
 * Listing formats: Unix `ls -l` lines for LIST (what Explorer, GVfs and curl parse),
 * RFC 3659 facts for MLSD/MLST, and the YYYYMMDDHHMMSS time of MDTM. Times are UTC.
 */
import {isDigits} from "../protocol/digits";

export interface ListEntry {
	name: string;
	size: number;
	/** seconds since the epoch, UTC; 0 when unknown */
	mtime: number;
	directory: boolean;
}

const MONTHS = Object.freeze(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]);
const HALF_YEAR = 182 * 24 * 3600;

function pad(value: number, width: number, fill = "0"): string {
	return String(value).padStart(width, fill);
}

/**
 * `-rw-r--r-- 1 ftp ftp       1234 Nov 23 05:17 name`: a time within about six months
 * (and not in the future) shows hours and minutes, else the year, as `ls` does.
 */
export function formatListLine(entry: ListEntry, now: number, writable = true): string {
	const w = writable ? "w" : "-";
	const mode = entry.directory ? `dr${w}xr-xr-x` : `-r${w}-r--r--`;
	const date = new Date(entry.mtime * 1000);
	const day = `${MONTHS[date.getUTCMonth()]} ${pad(date.getUTCDate(), 2, " ")}`;
	const recent = (entry.mtime <= now + 3600) && (now - entry.mtime < HALF_YEAR);
	const when = recent ? `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}` : ` ${date.getUTCFullYear()}`;
	return `${mode} 1 ftp ftp ${pad(entry.size, 10, " ")} ${day} ${when} ${entry.name}`;
}

/** YYYYMMDDHHMMSS in UTC (MDTM, MLSx modify). */
export function formatTimeval(seconds: number): string {
	const d = new Date(seconds * 1000);
	return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}` +
		`${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}`;
}

/** YYYYMMDDHHMMSS[.sss] → seconds since the epoch; undefined when malformed. */
export function parseTimeval(text: string): number | undefined {
	if (!isDigits(text.slice(0, 14), 14, 14))
		return undefined;
	// an optional fraction of a second: "." and 1 to 3 digits
	if ((text.length > 14) && ((text[14] !== ".") || !isDigits(text.slice(15), 1, 3)))
		return undefined;
	const field = (start: number, length: number): number => Number(text.slice(start, start + length));
	const year = field(0, 4), month = field(4, 2), day = field(6, 2), hour = field(8, 2), minute = field(10, 2), second = field(12, 2);
	if ((month < 1) || (month > 12) || (day < 1) || (day > 31) || (hour > 23) || (minute > 59) || (second > 60))
		return undefined;
	const ms = Date.UTC(year, month - 1, day, hour, minute, second);
	const check = new Date(ms);
	if (check.getUTCDate() !== day)
		return undefined;
	return Math.floor(ms / 1000);
}

/** The facts of an MLSD/MLST line (RFC 3659 7.5), without the name. */
export function formatFacts(entry: ListEntry, writable: boolean): string {
	const modify = entry.mtime ? `modify=${formatTimeval(entry.mtime)};` : "";
	if (entry.directory)
		return `type=dir;${modify}perm=${writable ? "cdeflmp" : "el"};`;
	return `type=file;size=${entry.size};${modify}perm=${writable ? "adfrw" : "r"};`;
}

/** One MLSD line: facts, a space, the name. */
export function formatMlsxLine(entry: ListEntry, writable: boolean): string {
	return `${formatFacts(entry, writable)} ${entry.name}`;
}
