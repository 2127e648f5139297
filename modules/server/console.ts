/*
 * The live console's figures: the global `ftpd` object (the public module "ftpd", server/api.ts)
 * lets xsbug's console look at and steer the running server:
 *   ftpd.verbose = 2     0 silent, 1 sessions and transfers, 2 every command and reply
 *   ftpd.sessions        who is connected: session number, address, user, idle seconds, and
 *                        the current transfer's path, bytes so far, size and rate
 *   ftpd.df              flash: total, used, free bytes
 *   ftpd.free            XS heap in use, after a garbage collection (read natively: every
 *                        build, devices included; the stack peak only in mcconfig -d or -i builds)
 *   ftpd.stop()          every session gets 421, the listener closes
 *   ftpd.start()         listens again, with the last options
 * SITE WHO, SITE DF and SITE FREE (commands/site.ts) report the same figures, from here,
 * through the session's server context (the server's methods call these functions).
 */
import type {ServerContext, Session} from "../session/session";
import type {FileService} from "../files/service";
import type {SessionSummary, TransferProgress, FlashFigures, HeapFigures} from "./figures";
import {log} from "../log/log";
import {collect, slots, chunks, stack, modules, system} from "xsheap";

export function summarizeSessions(server: ServerContext): SessionSummary[] {
	const now = Date.now();
	return [...server.sessions].map(s => ({
		id: s.id,
		address: s.remoteAddress,
		user: s.user,
		// since the last command ended: none while one runs
		idle: (s.activity === "idle") ? Math.max(0, Math.floor((now - s.idleSince) / 1000)) : 0,
		transfer: progressOf(s),
	}));
}

/** The transfer a session has under way, as far as it has gone. */
function progressOf(session: Session): TransferProgress | undefined {
	const transfer = session.transfer;
	// none until its 150: a transfer command waiting for its data connection moves nothing yet
	if (!transfer?.start)
		return undefined;
	const ms = Date.now() - transfer.start;
	const bytes = session.data.bytes;
	return {
		verb: session.activity,
		path: transfer.path,
		bytes,
		size: (transfer.size < 0) ? undefined : transfer.size,
		seconds: Math.floor(ms / 1000),
		rate: (ms > 0) ? Math.round(bytes * 1000 / ms) : 0,
	};
}

/** Throws an FtpError when the volume cannot tell (not mounted). */
export function flashFigures(files: FileService): FlashFigures {
	const info = files.info();
	return {kind: info.kind, total: info.total, used: info.used, free: info.total - info.used};
}

/** XS heap figures, read natively (xsheap) after a garbage collection: every build has them, devices included. */
export function heapFigures(): HeapFigures {
	const collected = collect();
	return {slots: slots(), chunks: chunks(), stack: stack(), modules: modules(), system: system(), collected};
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
