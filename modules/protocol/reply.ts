/*
 * Reply text, per RFC 959 4.2: one line "code text", or a multi-line reply
 * "code-first" ... "code last". Lines of a multi-line body that start with digits are
 * indented so no client mistakes them for the end.
 */

/**
 * The reply codes this server sends, as text: XS turns a number into a string with the C
 * library's snprintf, about a third of what a one-line reply costs otherwise. Made once, at
 * load (frozen in flash with its module on a device); a code not in it is converted as usual.
 */
export const CODE_TEXT: Readonly<Record<number, string>> = codeTable([150, 200, 202, 211, 213, 214, 215, 220, 221, 226, 227, 229, 230, 250, 257, 331, 350, 421, 425, 426, 450, 451, 452, 500, 501, 502, 503, 504, 522, 530, 550, 551, 552, 553, 554]);

function codeTable(codes: number[]): Readonly<Record<number, string>> {
	const table: Record<number, string> = {};
	for (const code of codes)
		table[code] = String(code);
	return Object.freeze(table);
}

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
