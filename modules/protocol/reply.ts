/*
 * Reply text, per RFC 959 4.2: one line "code text", or a multi-line reply
 * "code-first" ... "code last". Lines of a multi-line body that start with digits are
 * indented so no client mistakes them for the end.
 */

export function formatReply(code: number, text: string): string {
	if (text.indexOf("\n") < 0)
		return `${code} ${text}\r\n`;
	const lines = text.split("\n");
	let out = `${code}-${lines[0]}\r\n`;
	for (let i = 1; i < lines.length - 1; i++)
		out += ` ${lines[i]}\r\n`;
	return out + `${code} ${lines[lines.length - 1]}\r\n`;
}

/** A path inside a 257 reply: quoted, with embedded quotes doubled (RFC 959 Appendix II). */
export function quotePath(path: string): string {
	return `"${path.replaceAll('"', '""')}"`;
}
