/*
 * The data channel and what travels on it: PASV, EPSV, PORT, EPRT (RFC 959, RFC 2428), the
 * listings LIST, NLST, MLSD (RFC 3659), and RETR, STOR, APPE, STOU.
 *
 * File bytes and folder listings go through ftpsock natively (listings are formatted in C,
 * as listing/format.ts does); only the one line of LIST or NLST of a file is built in JS.
 *
 * A transfer command starts its transfer (Session.startTransfer) and returns: the session
 * drives it from the data connection's callbacks. Only a wait for the shared data channel
 * returns a promise. Each transfer's mover is a closure over what it moves (a few slots).
 */
import type {Command, CommandTable} from "./command";
import type {Session} from "../session/session";
import type {ListingFormat} from "ftpsock";
import {formatPasv, formatEpsv, parsePort, parseEprt, HostPort} from "../protocol/address";
import {formatListLine, ListEntry} from "../listing/format";
import {splitListArgument} from "../listing/arguments";
import {baseName, parentOf, joinPath} from "../files/paths";
import {FtpError} from "../files/service";

function refuseAfterEpsvAll(session: Session): void {
	if (session.epsvOnly)
		throw new FtpError(503, "Only EPSV is allowed after EPSV ALL.");
}

/** PORT/EPRT may only point back at the client, on an unprivileged port (no FTP bounce). */
function checkTarget(session: Session, target: HostPort): void {
	if (target.address !== session.remoteAddress)
		throw new FtpError(501, "Data connections only to the control connection's address.");
	if (target.port < 1024)
		throw new FtpError(501, "Data connections to privileged ports are refused.");
}

/*
 * PASV, EPSV, PORT and EPRT finish at once when the data channel is free (the usual case):
 * no async function, no promise for the session to await. On XS each await is a turn of
 * promise jobs, which the Linux host runs from a loop source of its own per turn.
 */
function activeMode(session: Session, target: HostPort): Promise<void> | void {
	checkTarget(session, target);
	const waiting = session.data.acquire();
	if (waiting)
		return waiting.then(() => prepareActive(session, target));
	prepareActive(session, target);
}

function prepareActive(session: Session, target: HostPort): void {
	session.data.active(target);
	session.reply(200, "Active mode connection prepared.");
}

function passiveMode(session: Session, extended: boolean): Promise<void> | void {
	const waiting = session.data.acquire();
	// once granted, acquire() finds the channel held and the PASV goes on
	if (waiting)
		return waiting.then(() => passiveMode(session, extended));
	const port = session.data.passive();
	if (extended)
		session.reply(229, formatEpsv(port));
	else
		session.reply(227, formatPasv(session.data.passiveAddress(session.control), port));
}

type Formatter = (entry: ListEntry) => string;

/**
 * LIST and NLST: a folder's listing is made natively (ftpsock's sendListing, the formats of
 * listing/format.ts), one call per listing; a file's one line is made here.
 */
function listCommand(session: Session, argument: string, opening: string, format: ListingFormat, line: Formatter): void {
	const path = session.resolve(splitListArgument(argument).path);
	const entry = session.server.files.require(path);
	if (!entry.directory)
		return session.startTransfer(opening, path, -1, (connection, done) => connection.startSend(line(entry) + "\r\n", done));
	const now = session.server.now();
	const idleTimeout = session.server.options.transferTimeout;
	const writable = session.writable ? 1 : 0;
	session.startTransfer(opening, path, -1, (connection, done) => connection.startSendListing(path, format, writable, now, idleTimeout, done));
}

const list: Command = {
	argument: "optional", transfer: true, help: "LIST [<path>]",
	run(session, argument) {
		const now = session.server.now();
		return listCommand(session, argument, "Here comes the directory listing.", 0, entry => formatListLine(entry, now, session.writable));
	},
};

const nlst: Command = {
	argument: "optional", transfer: true, help: "NLST [<path>]",
	run(session, argument) {
		return listCommand(session, argument, "Here comes the name list.", 1, entry => entry.name);
	},
};

const mlsd: Command = {
	argument: "optional", transfer: true, help: "MLSD [<path>]",
	run(session, argument) {
		const path = session.resolve(argument);
		session.server.files.requireDirectory(path);
		const now = session.server.now();
		const idleTimeout = session.server.options.transferTimeout;
		const writable = session.writable ? 1 : 0;
		session.startTransfer("Here comes the MLSD listing.", path, -1,
			(connection, done) => connection.startSendListing(path, 2, writable, now, idleTimeout, done));
	},
};

function uniqueName(session: Session, folder: string): string {
	for (let n = 0; ; n++) {
		const name = `ftpd-${session.server.now()}${n ? "-" + n : ""}`;
		if (!session.server.files.stat(joinPath(folder, name)))
			return name;
	}
}

/**
 * Receives into a temporary file beside `path`, then renames it over `path`: the old file
 * stays whole until the new one is complete.
 */
function storeReplacing(session: Session, path: string, opening: string): void {
	const temporary = session.server.files.temporaryFor(path);
	const idleTimeout = session.server.options.transferTimeout;
	session.startTransfer(opening, path, -1, (connection, done) => connection.startReceiveFile(temporary, "w", 0, idleTimeout, done), {temporary, path});
}

/** The folder an upload goes to must exist, and the target must not be a folder. */
function uploadTarget(session: Session, argument: string): string {
	const path = session.resolve(argument);
	const files = session.server.files;
	files.requireDirectory(parentOf(path));
	if (files.stat(path)?.directory)
		throw new FtpError(550, "Is a directory.");
	return path;
}

// frozen deeply (an XS extension): preloaded, the table stays in flash
export const transfer: CommandTable = Object.freeze({
	PASV: {
		argument: "none", transfer: true, help: "PASV",
		run(session) {
			// refuseAfterEpsvAll() inline: PASV runs before every transfer
			if (session.epsvOnly)
				throw new FtpError(503, "Only EPSV is allowed after EPSV ALL.");
			return passiveMode(session, false);
		},
	},
	EPSV: {
		argument: "optional", transfer: true, help: "EPSV [1|ALL]",
		feat: ["EPSV"],
		run(session, argument) {
			const what = argument.toUpperCase();
			if (what === "ALL") {
				session.epsvOnly = true;
				return session.reply(200, "EPSV ALL ok.");
			}
			if (what && (what !== "1"))
				return session.reply(522, "Network protocol not supported, use (1).");
			return passiveMode(session, true);
		},
	},
	PORT: {
		argument: "required", transfer: true, help: "PORT <h1,h2,h3,h4,p1,p2>",
		run(session, argument) {
			refuseAfterEpsvAll(session);
			const target = parsePort(argument);
			if (!target)
				return session.reply(501, "Syntax: PORT h1,h2,h3,h4,p1,p2");
			return activeMode(session, target);
		},
	},
	EPRT: {
		argument: "required", transfer: true, help: "EPRT |1|<address>|<port>|",
		feat: ["EPRT"],
		run(session, argument) {
			refuseAfterEpsvAll(session);
			const target = parseEprt(argument);
			if (target === "protocol")
				return session.reply(522, "Network protocol not supported, use (1).");
			if (!target)
				return session.reply(501, "Syntax: EPRT |1|address|port|");
			return activeMode(session, target);
		},
	},
	LIST: list,
	NLST: nlst,
	MLSD: mlsd,
	RETR: {
		argument: "required", transfer: true, help: "RETR <path>",
		run(session, argument) {
			const path = session.resolve(argument);
			// opened once, before the 150 (a missing file or a folder gets its 550 here); the
			// transfer sends this open file, or closes it when it never starts
			const file = session.server.files.openForDownload(path);
			const size = file.size;
			const offset = session.restOffset;
			session.restOffset = 0;
			if (offset > size) {
				file.close();
				throw new FtpError(554, "Restart offset beyond the end of the file.");
			}
			const idleTimeout = session.server.options.transferTimeout;
			// baseName() inline: RETR runs for every download
			session.startTransfer(`Opening data connection for ${path.slice(path.lastIndexOf("/") + 1)} (${size - offset} bytes).`, path, size - offset,
				(connection, done) => connection.startSendFile(file, offset, idleTimeout, done), undefined, file);
		},
	},
	STOR: {
		argument: "required", transfer: true, writes: true, help: "STOR <path>",
		run(session, argument) {
			const path = uploadTarget(session, argument);
			const offset = session.restOffset;
			session.restOffset = 0;
			if (!offset)
				return storeReplacing(session, path, `Ok to send data for ${baseName(path)}.`);
			// REST + STOR resumes in place: the client asked to keep the first bytes
			const entry = session.server.files.requireFile(path);
			if (offset > entry.size)
				throw new FtpError(554, "Restart offset beyond the end of the file.");
			const idleTimeout = session.server.options.transferTimeout;
			session.startTransfer(`Resuming upload of ${baseName(path)} at ${offset}.`, path, -1,
				(connection, done) => connection.startReceiveFile(path, "w", offset, idleTimeout, done));
		},
	},
	APPE: {
		argument: "required", transfer: true, writes: true, help: "APPE <path>",
		run(session, argument) {
			const path = uploadTarget(session, argument);
			session.restOffset = 0;
			const idleTimeout = session.server.options.transferTimeout;
			session.startTransfer(`Ok to append to ${baseName(path)}.`, path, -1,
				(connection, done) => connection.startReceiveFile(path, "a", 0, idleTimeout, done));
		},
	},
	STOU: {
		argument: "none", transfer: true, writes: true, help: "STOU",
		run(session) {
			const name = uniqueName(session, session.cwd);
			// RFC 1123 4.1.2.9: the name is in the 150 reply
			return storeReplacing(session, joinPath(session.cwd, name), `FILE: ${name}`);
		},
	},
	ABOR: {
		argument: "none", help: "ABOR",
		run(session) {
			// a transfer in progress is interrupted where the line arrives (Session.#interrupt)
			session.data.release();
			session.reply(226, "No transfer to abort.");
		},
	},
}, true);
