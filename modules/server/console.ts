/*
 * The live console's figures: the global `ftpd` object (the public module "ftpd", server/api.ts)
 * lets xsbug's console look at and steer the running server:
 *   ftpd.verbose = 2     0 silent, 1 sessions and transfers, 2 every command and reply
 *   ftpd.sessions        who is connected: address, user, idle seconds, current transfer
 *   ftpd.df              flash: total, used, free bytes
 *   ftpd.free            XS heap in use, after a garbage collection (needs the SDK's
 *                        instrumentation module and an instrumented build: mcconfig -d or -i)
 *   ftpd.stop()          every session gets 421, the listener closes
 *   ftpd.start()         listens again, with the last options
 * SITE WHO, SITE DF and SITE FREE (commands/site.ts) report the same figures, from here.
 */
import type {ServerContext} from "../session/session";
import type {FileService} from "../files/service";
import {log} from "../log/log";

export interface SessionSummary {
	address: string;
	/** "" before USER */
	user: string;
	/** seconds since the last command */
	idle: number;
	/** the data transfer under way, undefined when none */
	transfer: {verb: string; seconds: number} | undefined;
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
	/** deepest use of the XS stack so far, bytes */
	stack: number;
	/** modules loaded at run time, each costing RAM: 0 when every module is preloaded */
	modules: number;
	/** bytes of native memory free; undefined where the platform does not report it (Linux) */
	system: number | undefined;
	/** the garbage was collected just before: the figures are live data only */
	collected: boolean;
}

/** The SDK's Instrumentation class (modules/base/instrumentation). */
interface Instrumentation {
	get(what: number | undefined): number | undefined;
	map(name: string): number | undefined;
}

/** The SDK's debug module (modules/base/debug): its gc() collects now. */
interface Debug {
	gc(): void;
}

// Both are optional: a device app includes them only when it wants them, and a build without
// them still has a working SITE FREE that says the figures are not available. Looking them up
// by a computed name keeps the import dynamic, so their absence is a rejected promise here
// rather than a link error for the whole server.
let instrumentation: Instrumentation | undefined;
let debug: Debug | undefined;
let loaded = false;

function optional(specifier: string, found: (module: {default: unknown}) => void): void {
	(import(specifier) as Promise<{default: unknown}>).then(found, (error: unknown) => {
		// XS rejects an import of a module that is not in the build with a ReferenceError
		// ("module ... not found"): that is the expected absence. Anything else is a failure.
		if (!(error instanceof ReferenceError))
			log.error(`console: cannot load ${specifier}: ${(error as Error).message}`);
	});
}

export function summarizeSessions(server: ServerContext): SessionSummary[] {
	const now = server.now();
	return [...server.sessions].map(s => ({
		address: s.remoteAddress,
		user: s.user,
		idle: now - s.lastCommandAt,
		transfer: s.currentTransfer && {verb: s.currentTransfer.verb, seconds: now - s.currentTransfer.since},
	}));
}

/** Throws an FtpError when the volume cannot tell (not mounted). */
export function flashFigures(files: FileService): FlashFigures {
	const info = files.info();
	return {kind: info.kind, total: info.total, used: info.used, free: info.total - info.used};
}

/** XS heap figures, or undefined when this build has no instrumentation. Collects garbage first when it can. */
export function heapFigures(): HeapFigures | undefined {
	if (!instrumentation)
		return undefined;
	const read = (name: string): number | undefined => instrumentation!.get(instrumentation!.map(name));
	// a release build's Instrumentation answers undefined, and a host that registers no
	// figures answers 0; a running machine always has slots in use
	if (!read("XS Slot Heap Used"))
		return undefined;
	let collected = false;
	if (debug) {
		debug.gc();
		collected = true;
	}
	return {
		slots: read("XS Slot Heap Used")!,
		chunks: read("XS Chunk Heap Used") ?? 0,
		stack: read("XS Stack Used") ?? 0,
		modules: read("XS Modules Loaded") ?? 0,
		system: read("System Free Memory") || undefined,
		collected,
	};
}

/** Sets the log's verbosity, 0..2 (out-of-range integers are clamped); throws a RangeError on a non-number. */
export function setVerbosity(level: number): number {
	const n = Number(level);
	if (!Number.isFinite(n))
		throw new RangeError("verbosity is 0, 1 or 2");
	log.level = Math.max(0, Math.min(2, Math.floor(n)));
	log.info(`verbosity ${log.level}`);
	return log.level;
}

/**
 * Looks for the SDK's optional instrumentation and debug modules once, for heapFigures(). The
 * console object itself, the global `ftpd`, is the public module's (server/api.ts).
 */
export function loadOptionalModules(): void {
	if (loaded)
		return;
	loaded = true;
	optional("instrumentation", module => { instrumentation = module.default as Instrumentation; });
	optional("debug", module => { debug = module.default as Debug; });
}
