/*
 * SITE: the server's own commands, for whoever runs it (RFC 959 leaves SITE to the server).
 * Its subcommands have a small table of their own, so SITE HELP is generated from it the way
 * HELP and FEAT are generated from the command table. The figures come from the live console
 * (server/console.ts) through the session's server context, so SITE and xsbug's `ftpd` object
 * always agree.
 */
import type {Command} from "./command";
import type {Session} from "../session/session";
import {log} from "../log/log";

interface SiteCommand {
	run(session: Session, argument: string): void;
	/** syntax and what it does, for SITE HELP */
	help: string;
	/** only the configured account may use it */
	admin?: boolean;
}

function helpText(): string {
	const lines = ["SITE commands:"];
	for (const command of Object.values(SITE_COMMANDS))
		lines.push(command.help + (command.admin ? " (the server's account only)" : ""));
	lines.push("End.");
	return lines.join("\n");
}

// frozen deeply (an XS extension) so that, preloaded, the table needs no RAM to stay writable
const SITE_COMMANDS: Readonly<Record<string, SiteCommand>> = Object.freeze({
	HELP: {
		help: "SITE HELP: this list",
		run(session) {
			session.replyLines(214, helpText());
		},
	},
	VERBOSE: {
		help: "SITE VERBOSE [0|1|2]: the log's verbosity (0 silent, 1 sessions and transfers, 2 every command)",
		admin: true,
		run(session, argument) {
			if (!argument)
				return session.reply(200, `Verbosity is ${log.level}.`);
			if ((argument !== "0") && (argument !== "1") && (argument !== "2"))
				return session.reply(501, "SITE VERBOSE takes 0, 1 or 2.");
			session.reply(200, `Verbosity set to ${session.server.setVerbosity(Number(argument))}.`);
		},
	},
	WHO: {
		help: "SITE WHO: the connected clients (session, address, user, idle time, current transfer: path, bytes so far, size, rate)",
		run(session) {
			const sessions = session.server.summarizeSessions();
			const lines = [`${sessions.length} of ${session.server.options.maxSessions} sessions:`];
			for (const s of sessions) {
				const t = s.transfer;
				// the path last: it may hold spaces
				const transfer = t ? `${t.verb} bytes=${t.bytes} size=${t.size ?? "-"} time=${t.seconds}s rate=${t.rate}B/s path=${t.path}` : "none";
				lines.push(`#${s.id} ${s.address} user=${s.user || "-"} idle=${s.idle}s transfer=${transfer}`);
			}
			lines.push("End.");
			session.replyLines(211, lines.join("\n"));
		},
	},
	DF: {
		help: "SITE DF: flash total, used and free",
		run(session) {
			const f = session.server.flashFigures();
			session.reply(211, `Flash (${f.kind}): total ${f.total} bytes, used ${f.used} bytes, free ${f.free} bytes.`);
		},
	},
	FREE: {
		help: "SITE FREE: the XS heap in use",
		run(session) {
			const h = session.server.heapFigures();
			let text = `XS heap in use: slots ${h.slots} bytes, chunks ${h.chunks} bytes`;
			// the stack peak and run-time modules are counted only by instrumented builds (mcconfig -d or -i)
			if (undefined !== h.stack)
				text += `, stack peak ${h.stack} bytes, ${h.modules} modules loaded at run time`;
			if (undefined !== h.system)
				text += `; system free ${h.system} bytes`;
			session.reply(211, text + (h.collected ? " (after garbage collection)." : " (garbage included)."));
		},
	},
}, true);

export const SITE: Command = {
	argument: "required", help: "SITE <command> (SITE HELP lists them)",
	run(session, argument) {
		const space = argument.indexOf(" ");
		const name = ((space < 0) ? argument : argument.slice(0, space)).toUpperCase();
		const rest = (space < 0) ? "" : argument.slice(space + 1).trim();
		const command = SITE_COMMANDS[name];
		if (!command)
			return session.reply(504, "SITE command not understood (SITE HELP lists them).");
		if (command.admin && !session.account)
			return session.reply(550, `SITE ${name} is for the server's account only.`);
		command.run(session, rest);
	},
};
