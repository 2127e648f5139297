/*
 * The command table: every verb the server knows, in one place.
 */
import type {CommandTable} from "./command";
import {auth} from "./auth";
import {dirs} from "./dirs";
import {files} from "./files";
import {transfer} from "./transfer";
import {misc} from "./misc";
import {SITE} from "./site";

export const commands: CommandTable = Object.freeze({...auth, ...dirs, ...files, ...transfer, ...misc, SITE});
