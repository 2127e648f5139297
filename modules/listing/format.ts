/*
 * Listing formats: Unix `ls -l` lines for LIST (what Explorer, GVfs and curl parse),
 * RFC 3659 facts for MLSD/MLST, and the YYYYMMDDHHMMSS time of MDTM. Times are UTC.
 */

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
	const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d{1,3})?$/.exec(text);
	if (!m)
		return undefined;
	const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
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
