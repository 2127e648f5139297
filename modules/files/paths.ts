/*
 * The one gate between a client's path and the volume (as pyftpdlib's ftp2fs): every path a
 * client sends is resolved here against the session's directory into an absolute path under
 * the served root. ".." stops at the root, so nothing resolves outside it.
 */

/** Longest resolved path accepted, in UTF-8 bytes (LittleFS's LFS_NAME_MAX on devices). */
export const MAX_PATH = 255;

export type PathProblem = "invalid name" | "too long";

import {utf8Length} from "../protocol/utf8";

/**
 * Resolves `argument` against `cwd` (itself absolute and resolved). Backslashes are
 * separators (Windows clients send them); ".", "..", repeated and trailing slashes are
 * folded; NUL, CR and LF cannot be in a name.
 */
export function resolvePath(cwd: string, argument: string): string | PathProblem {
	// includes(), not a RegExp: XS compiles a literal each time it runs, on every command
	if (argument.includes("\0") || argument.includes("\r") || argument.includes("\n"))
		return "invalid name";
	// the usual argument, a name in the current folder: nothing to fold
	if (isPlainName(argument))
		return checkLength((cwd === "/") ? "/" + argument : cwd + "/" + argument);
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

/** A name with no separator, and not "." or "..". */
function isPlainName(argument: string): boolean {
	return (argument.length > 0) && !argument.includes("/") && !argument.includes("\\") && (argument !== ".") && (argument !== "..");
}

function checkLength(path: string): string | PathProblem {
	// a character is at most 3 UTF-8 bytes (4 for a pair of 2): short paths need no count
	if ((path.length * 3 > MAX_PATH) && (utf8Length(path) > MAX_PATH))
		return "too long";
	return path;
}

export function isProblem(path: string | PathProblem): path is PathProblem {
	return !path.startsWith("/");
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
