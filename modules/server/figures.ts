/*
 * What the live console reports (server/console.ts), and SITE with it (commands/site.ts, through
 * the session's server context): types only, so that the server context (session/session.ts)
 * can name them without importing the console, which names the server context.
 */
export interface SessionSummary {
	/** the session's number, as the log shows it ("#3 127.0.0.1") */
	id: number;
	address: string;
	/** "" before USER */
	user: string;
	/** seconds since the last command */
	idle: number;
	/** the data transfer under way, undefined when none */
	transfer: TransferProgress | undefined;
}

export interface TransferProgress {
	verb: string;
	/** the file, or the folder listed */
	path: string;
	/** bytes moved so far */
	bytes: number;
	/** bytes to move, undefined when unknown (uploads) */
	size: number | undefined;
	/** seconds since it started */
	seconds: number;
	/** bytes per second so far */
	rate: number;
}

export interface FlashFigures {
	/** "littlefs" or "posix" */
	kind: string;
	/** bytes */
	total: number;
	used: number;
	free: number;
}

export interface HeapFigures {
	/** bytes of the XS slot heap in use (a slot is 16 bytes on ESP chips and 32-bit hosts, 32 on 64-bit hosts) */
	slots: number;
	/** bytes of the XS chunk heap in use (strings, buffers, bytecode copied to RAM) */
	chunks: number;
	/** deepest use of the XS stack so far, bytes; undefined in a build without instrumentation (mcconfig -d or -i) */
	stack: number | undefined;
	/** modules loaded at run time, each costing RAM: 0 when every module is preloaded; undefined without instrumentation */
	modules: number | undefined;
	/** bytes of native memory free; undefined where the platform does not report it (Linux) */
	system: number | undefined;
	/** the garbage was collected just before: the figures are live data only */
	collected: boolean;
}
