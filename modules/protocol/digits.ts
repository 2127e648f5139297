/*
 * Decimal fields of commands (PORT and EPRT numbers, REST offsets, MFMT times), checked
 * without regular expressions: XS compiles a regular expression literal each time it is
 * evaluated, which costs the RAM of the compiled pattern on a device and, on the Linux host,
 * a parse of /proc/self/maps (XS asks for the C stack's limit): a fifth of the server's
 * instructions for a 4 KiB RETR went there.
 */

/** Whether `text` is between `min` and `max` ASCII digits. */
export function isDigits(text: string, min: number, max: number): boolean {
	if ((text.length < min) || (text.length > max))
		return false;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if ((c < 0x30) || (c > 0x39))
			return false;
	}
	return true;
}
