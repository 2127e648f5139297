/*
 * Files without a data connection: DELE, RNFR/RNTO, SIZE, MDTM, MFMT (draft-somers-ftp-mfxx),
 * REST (RFC 3659 5).
 */
import type {CommandTable} from "./command";
import {formatTimeval, parseTimeval} from "../listing/format";
import {FtpError} from "../files/service";
import {isDigits} from "../protocol/digits";

// frozen deeply (an XS extension): preloaded, the table stays in flash
export const files: CommandTable = Object.freeze({
	DELE: {
		argument: "required", writes: true, help: "DELE <path>",
		run(session, argument) {
			session.server.files.remove(session.resolve(argument));
			session.reply(250, "File deleted.");
		},
	},
	RNFR: {
		argument: "required", writes: true, help: "RNFR <path>",
		run(session, argument) {
			const path = session.resolve(argument);
			session.server.files.require(path);
			session.renameFrom = path;
			session.reply(350, "Ready for RNTO.");
		},
	},
	RNTO: {
		argument: "required", writes: true, help: "RNTO <path>",
		run(session, argument) {
			const from = session.renameFrom;
			session.renameFrom = undefined;
			if (!from)
				return session.reply(503, "RNFR required first.");
			const to = session.resolve(argument);
			const files = session.server.files;
			const target = files.stat(to);
			// KDE uploads name.part, then renames it over the old name: a file replaces a file
			if (target?.directory && (to !== from))
				throw new FtpError(550, "Target is a directory.");
			files.rename(from, to);
			session.reply(250, "Rename successful.");
		},
	},
	SIZE: {
		argument: "required", help: "SIZE <path>",
		feat: ["SIZE"],
		run(session, argument) {
			const entry = session.server.files.requireFile(session.resolve(argument));
			session.reply(213, String(entry.size));
		},
	},
	MDTM: {
		argument: "required", help: "MDTM <path>",
		feat: ["MDTM"],
		run(session, argument) {
			const entry = session.server.files.require(session.resolve(argument));
			if (!entry.mtime)
				return session.reply(550, "Modification time unknown.");
			session.reply(213, formatTimeval(entry.mtime));
		},
	},
	MFMT: {
		argument: "required", writes: true, help: "MFMT <YYYYMMDDHHMMSS> <path>",
		feat: ["MFMT"],
		run(session, argument) {
			const space = argument.indexOf(" ");
			const time = (space > 0) ? parseTimeval(argument.slice(0, space)) : undefined;
			if (undefined === time)
				return session.reply(501, "Syntax: MFMT <YYYYMMDDHHMMSS> <path>");
			const path = session.resolve(argument.slice(space + 1));
			session.server.files.require(path);
			session.server.files.setTime(path, time);
			session.reply(213, `Modify=${formatTimeval(time)}; ${argument.slice(space + 1)}`);
		},
	},
	AVBL: {
		argument: "optional", help: "AVBL [<path>]",
		feat: ["AVBL"],
		run(session, argument) {
			// draft-peterson-streamlined-ftp-command-extensions: bytes free where an upload would go
			if (argument)
				session.server.files.requireDirectory(session.resolve(argument));
			const {total, used} = session.server.files.info();
			session.reply(213, String(Math.max(0, total - used)));
		},
	},
	REST: {
		argument: "required", help: "REST <offset>",
		feat: ["REST STREAM"],
		run(session, argument) {
			if (!isDigits(argument, 1, 15))
				return session.reply(501, "REST needs a byte offset.");
			session.restOffset = Number(argument);
			session.reply(350, `Restarting at ${session.restOffset}. Send RETR, STOR or APPE.`);
		},
	},
}, true);
