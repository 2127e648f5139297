/*
 * The command table: every verb the server knows, in one place.
 */
import type {Command, CommandTable} from "./command";
import {auth} from "./auth";
import {dirs} from "./dirs";
import {files} from "./files";
import {transfer} from "./transfer";
import {misc} from "./misc";
import {SITE} from "./site";

/*
 * XS finds a property by walking an object's properties in the order they were made: the
 * verbs a file manager sends most come first (HELP and FEAT sort theirs).
 */
const FIRST = ["PASV", "EPSV", "RETR", "STOR", "LIST", "MLSD", "NLST", "TYPE", "SIZE", "MDTM", "CWD", "PWD", "NOOP"];

function table(): CommandTable {
	// made here, not kept: only the table itself stays in the image
	const all: CommandTable = {...auth, ...dirs, ...files, ...transfer, ...misc, SITE};
	// Without a prototype: a client's verb is looked up as it comes ("toString" must not find
	// Object.prototype's), and a verb that is not there is missed without walking a prototype.
	const commands = Object.create(null) as CommandTable;
	for (const verb of FIRST)
		commands[verb] = all[verb];
	Object.assign(commands, all);
	for (const verb in commands)
		commands[verb] = entry(commands[verb]);
	return Object.freeze(commands);
}

/**
 * A verb's entry as the session reads it for each command: every field there, those it reads
 * first in the order it reads them, and no prototype (a field a command leaves out would be
 * looked for through Object.prototype's, for every command).
 */
function entry(command: Command): Command {
	return Object.freeze(Object.assign(Object.create(null) as Command, {
		anonymous: false, argument: "optional", writes: false, transfer: false,
	}, command));
}

export const commands: CommandTable = table();
