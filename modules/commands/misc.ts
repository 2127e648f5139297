/*
 * Everything else: SYST, FEAT, OPTS, HELP, NOOP, STAT, SITE, TYPE, MODE, STRU, ALLO.
 * FEAT and HELP read the command table, so they always tell exactly what is there.
 */
import type {CommandTable} from "./command";
import type {Session} from "../session/session";
import {formatListLine, formatFacts} from "../listing/format";
import {Listing} from "ftpsock";
import {replyFor} from "../files/service";
import {splitListArgument} from "../listing/arguments";

/** FEAT lines that belong to no single verb. */
const GENERAL_FEATURES = Object.freeze(["UTF8", "TVFS", "MLST type*;size*;modify*;perm*;"]);

function features(session: Session): string[] {
	const lines = new Set<string>(GENERAL_FEATURES);
	for (const command of Object.values(session.server.commands))
		command.feat?.forEach(line => lines.add(line));
	return [...lines].sort();
}

function helpText(session: Session): string {
	const verbs = Object.keys(session.server.commands).sort();
	let text = "The following commands are recognized:";
	for (let i = 0; i < verbs.length; i += 8)
		text += "\n" + verbs.slice(i, i + 8).map(v => v.padEnd(5)).join(" ");
	return text + "\nHelp OK.";
}

/** Queued reply bytes beyond which a long reply waits for the socket before its next line. */
const REPLY_QUEUE = 1024;
/** STAT's listing is read in pieces of this many bytes (each queued as it is until sent). */
const STAT_CHUNK = 512;

/**
 * STAT <path>: the listing over the control connection (RFC 959), made natively (ftpsock's
 * Listing, the format of listing/format.ts) a buffer at a time as the socket takes them: a
 * large folder never becomes one large string, nor a string per entry.
 */
async function statPath(session: Session, argument: string): Promise<void> {
	const {path: given} = splitListArgument(argument);
	const path = session.resolve(given);
	const files = session.server.files;
	const entry = files.require(path);
	const now = session.server.now();
	const control = session.control;
	control.write(`213-Status of ${given}:\r\n`);
	if (!entry.directory)
		control.write(` ${formatListLine(entry, now, session.writable)}\r\n`);
	else {
		const listing = new Listing(path, 3, session.writable, now);
		try {
			for (;;) {
				// a new buffer each time: the control connection queues it as it is
				const chunk = new Uint8Array(STAT_CHUNK);
				const count = listing.read(chunk);
				if (!count)
					break;
				control.writeBytes(chunk.subarray(0, count));
				if (control.queued > REPLY_QUEUE)
					await control.drained();
				if (control.closed)
					return;
			}
		}
		catch (error) {
			throw replyFor((error as Error).message);
		}
		finally {
			listing.close();
		}
	}
	session.reply(213, "End of status.");
}

// frozen deeply (an XS extension): preloaded, the table stays in flash
export const misc: CommandTable = Object.freeze({
	SYST: {
		anonymous: true, argument: "none", help: "SYST",
		run(session) {
			session.reply(215, "UNIX Type: L8");
		},
	},
	FEAT: {
		anonymous: true, argument: "none", help: "FEAT",
		run(session) {
			session.replyLines(211, ["Features:", ...features(session), "End"].join("\n"));
		},
	},
	OPTS: {
		anonymous: true, argument: "required", help: "OPTS UTF8 ON | OPTS MLST <facts>",
		run(session, argument) {
			const [option, ...rest] = argument.split(" ");
			const name = option.toUpperCase();
			if (name === "UTF8") {
				// names are always UTF-8 (RFC 2640); Windows needs a 2xx here or garbles them
				const value = rest.join(" ").toUpperCase();
				if (value && (value !== "ON") && (value !== "OFF"))
					return session.reply(501, "OPTS UTF8 takes ON or OFF.");
				return session.reply(200, "UTF8 mode is always on.");
			}
			if (name === "MLST")
				return session.reply(200, "MLST OPTS type;size;modify;perm;");
			session.reply(501, "Option not understood.");
		},
	},
	HELP: {
		anonymous: true, argument: "optional", help: "HELP [<verb>]",
		run(session, argument) {
			if (!argument)
				return session.replyLines(214, helpText(session));
			const command = session.server.commands[argument.toUpperCase()];
			if (!command)
				return session.reply(502, "Unknown command.");
			session.reply(214, `Syntax: ${command.help}`);
		},
	},
	NOOP: {
		anonymous: true, argument: "none", help: "NOOP",
		run(session) {
			session.reply(200, "NOOP ok.");
		},
	},
	STAT: {
		argument: "optional", help: "STAT [<path>]",
		run(session, argument) {
			if (argument)
				return statPath(session, argument);
			session.replyLines(211, [
				"moddable-ftpd status:",
				`Connected from ${session.remoteAddress}`,
				`Logged in as ${session.user}${session.writable ? "" : " (read-only)"}`,
				`TYPE: ${session.binary ? "BINARY" : "ASCII"}, STRUcture: File, MODE: Stream`,
				session.data.prepared ? "Data connection prepared" : "No data connection",
				"End of status.",
			].join("\n"));
		},
	},
	TYPE: {
		argument: "required", help: "TYPE A | I | L 8",
		run(session, argument) {
			// "L  8" is "L 8": the type and its parameter, however many spaces apart
			const type = argument.toUpperCase().split(" ").filter(part => part.length).join(" ");
			if ((type === "I") || (type === "L 8")) {
				session.binary = true;
				return session.reply(200, "Type set to I.");
			}
			if ((type === "A") || (type === "A N")) {
				// bytes are sent as stored in both types, so SIZE always matches what RETR sends
				session.binary = false;
				return session.reply(200, "Type set to A.");
			}
			session.reply(504, "Type not supported.");
		},
	},
	MODE: {
		argument: "required", help: "MODE S",
		run(session, argument) {
			if (argument.toUpperCase() === "S")
				return session.reply(200, "Mode set to S.");
			session.reply(504, "Only stream mode is supported.");
		},
	},
	STRU: {
		argument: "required", help: "STRU F",
		run(session, argument) {
			if (argument.toUpperCase() === "F")
				return session.reply(200, "Structure set to F.");
			session.reply(504, "Only file structure is supported.");
		},
	},
	ALLO: {
		argument: "optional", help: "ALLO <bytes>",
		run(session) {
			session.reply(202, "No storage allocation necessary.");
		},
	},
	MLST: {
		argument: "optional", help: "MLST [<path>]",
		run(session, argument) {
			const path = session.resolve(argument);
			const entry = session.server.files.require(path);
			session.replyLines(250, `Listing ${argument || path}\n${formatFacts(entry, session.writable)} ${path}\nEnd.`);
		},
	},
}, true);
