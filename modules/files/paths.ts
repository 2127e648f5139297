/*
 * The one gate between a client's path and the volume (as pyftpdlib's ftp2fs): every path a
 * client sends is resolved here against the session's directory into an absolute path under
 * the served root. ".." stops at the root, so nothing resolves outside it.
 */

/** Longest resolved path accepted, in UTF-8 bytes (LittleFS's LFS_NAME_MAX on devices). */
export const MAX_PATH = 255;

export type PathProblem = "invalid name" | "too long";

import {utf8Length} from "../protocol/utf8";

/*
 * What a plain name in the current folder has none of: a separator (backslashes too, as
 * Windows clients send them), or a character no name may have. One test where five includes()
 * cost twice as much on XS. Made at run time, not at load: XS keeps a match's working memory
 * with the expression, which a preloaded module's objects (frozen, and not scanned by the
 * collector) cannot hold; made at load, it crashed the host once a collection had run. A
 * server makes it as it starts (preparePaths()): compiling it costs XS a look at the C stack's
 * bounds, which on Linux reads /proc/self/maps (about 140 K instructions), not a command's to pay.
 */
let special: RegExp | undefined;

/** Makes what resolvePath() keeps; resolvePath() makes it itself if need be. */
export function preparePaths(): void {
	special ??= /[\0\r\n\\/]/;
}

/**
 * Resolves `argument` against `cwd` (itself absolute and resolved). Backslashes are
 * separators (Windows clients send them); ".", "..", repeated and trailing slashes are
 * folded; NUL, CR and LF cannot be in a name.
 */
export function resolvePath(cwd: string, argument: string): string | PathProblem {
	// the usual argument, a name in the current folder: nothing to fold or refuse
	if (!(special ??= /[\0\r\n\\/]/).test(argument) && argument.length && (argument !== ".") && (argument !== "..")) {
		const path = (cwd === "/") ? "/" + argument : cwd + "/" + argument;
		// checkLength() inline: this runs for every command with a path
		return ((path.length * 3 > MAX_PATH) && (utf8Length(path) > MAX_PATH)) ? "too long" : path;
	}
	if (argument.includes("\0") || argument.includes("\r") || argument.includes("\n"))
		return "invalid name";
	const text = argument.replaceAll("\\", "/");
	const parts = text.startsWith("/") ? [] : cwd.split("/").filter(p => p.length > 0);
	for (const part of text.split("/")) {
		if ((part === "") || (part === "."))
			continue;
		if (part === "..")
			parts.pop();
		else
			parts.push(part);
	}
	return checkLength("/" + parts.join("/"));
}


function checkLength(path: string): string | PathProblem {
	// a character is at most 3 UTF-8 bytes (4 for a pair of 2): short paths need no count
	if ((path.length * 3 > MAX_PATH) && (utf8Length(path) > MAX_PATH))
		return "too long";
	return path;
}

/** The last component ("" for the root). */
export function baseName(path: string): string {
	return path.slice(path.lastIndexOf("/") + 1);
}

/** The parent folder ("/" for the root and its children). */
export function parentOf(path: string): string {
	const slash = path.lastIndexOf("/");
	return (slash <= 0) ? "/" : path.slice(0, slash);
}

/** Joins a folder and a name. */
export function joinPath(folder: string, name: string): string {
	return (folder === "/") ? "/" + name : folder + "/" + name;
}
