/*
 * The working directory and folders: PWD, CWD, CDUP, MKD, RMD and their X aliases (RFC 775).
 */
import type {Command, CommandTable} from "./command";
import {quotePath} from "../protocol/reply";
import {parentOf} from "../files/paths";

const pwd: Command = {
	argument: "none", help: "PWD",
	run(session) {
		session.reply(257, `${quotePath(session.cwd)} is the current directory.`);
	},
};

const cwd: Command = {
	argument: "required", help: "CWD <path>",
	run(session, argument) {
		const path = session.resolve(argument);
		session.server.files.requireDirectory(path);
		session.cwd = path;
		session.reply(250, `Directory changed to ${session.cwd}.`);
	},
};

const cdup: Command = {
	argument: "none", help: "CDUP",
	run(session) {
		session.cwd = parentOf(session.cwd);
		session.reply(250, `Directory changed to ${session.cwd}.`);
	},
};

const mkd: Command = {
	argument: "required", writes: true, help: "MKD <path>",
	run(session, argument) {
		const path = session.resolve(argument);
		session.server.files.mkdir(path);
		session.reply(257, `${quotePath(path)} created.`);
	},
};

const rmd: Command = {
	argument: "required", writes: true, help: "RMD <path>",
	run(session, argument) {
		const path = session.resolve(argument);
		if (path === "/")
			return session.reply(550, "Cannot remove the root directory.");
		session.server.files.rmdir(path);
		session.reply(250, "Directory removed.");
	},
};

// frozen deeply (an XS extension): preloaded, the table stays in flash
export const dirs: CommandTable = Object.freeze({
	PWD: pwd, XPWD: pwd,
	CWD: cwd, XCWD: cwd,
	CDUP: cdup, XCUP: cdup,
	MKD: mkd, XMKD: mkd,
	RMD: rmd, XRMD: rmd,
}, true);
