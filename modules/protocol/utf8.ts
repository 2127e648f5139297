/*
 * UTF-8 without TextEncoder/TextDecoder: XS builds for small devices leave those out, and
 * the decoder must also reject invalid input (RFC 2640 names are UTF-8; anything else gets 500).
 *
 * On XS, whose strings are UTF-8 inside, String.fromArrayBuffer (an XS extension) copies the
 * bytes natively; a string built a character at a time would leave a string per character
 * behind for the collector. Replies are encoded natively too (ArrayBuffer.fromString, in the
 * control connection).
 */

type XsString = StringConstructor & {fromArrayBuffer?(buffer: ArrayBufferLike, offset: number, length: number): string};

/** Decodes `bytes[start..end)`; undefined when it is not well-formed UTF-8. */
export function decodeUTF8(bytes: Uint8Array, start: number, end: number): string | undefined {
	// checked here, not left to XS: its own check lets overlong forms and surrogates through
	if (!wellFormed(bytes, start, end))
		return undefined;
	if (typeof (String as XsString).fromArrayBuffer === "function")
		return (String as XsString).fromArrayBuffer!(bytes.buffer, bytes.byteOffset + start, end - start);
	let out = "";
	for (let i = start; i < end;) {
		const b = bytes[i++];
		let need = (b < 0x80) ? 0 : (b < 0xE0) ? 1 : (b < 0xF0) ? 2 : 3;
		let cp = need ? (b & (0x3F >> need)) : b;
		while (need--)
			cp = (cp << 6) | (bytes[i++] & 0x3F);
		out += String.fromCodePoint(cp);
	}
	return out;
}

/** The first `length` bytes, all below 0x80 (the caller knows): no check needed. */
export function decodeASCII(bytes: Uint8Array, length: number): string {
	if (typeof (String as XsString).fromArrayBuffer === "function")
		return (String as XsString).fromArrayBuffer!(bytes.buffer, bytes.byteOffset, length);
	return String.fromCharCode(...bytes.subarray(0, length));
}

function wellFormed(bytes: Uint8Array, start: number, end: number): boolean {
	let i = start;
	while (i < end) {
		const b = bytes[i++];
		if (b < 0x80)
			continue;
		let need: number, cp: number, min: number;
		if ((b & 0xE0) === 0xC0) { need = 1; cp = b & 0x1F; min = 0x80; }
		else if ((b & 0xF0) === 0xE0) { need = 2; cp = b & 0x0F; min = 0x800; }
		else if ((b & 0xF8) === 0xF0) { need = 3; cp = b & 0x07; min = 0x10000; }
		else return false;
		if (i + need > end)
			return false;
		while (need--) {
			const c = bytes[i++];
			if ((c & 0xC0) !== 0x80)
				return false;
			cp = (cp << 6) | (c & 0x3F);
		}
		if ((cp < min) || (cp > 0x10FFFF) || ((cp >= 0xD800) && (cp <= 0xDFFF)))
			return false;
	}
	return true;
}

/** Bytes needed to encode `text`. */
export function utf8Length(text: string): number {
	let length = 0;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c < 0x80) length += 1;
		else if (c < 0x800) length += 2;
		else if ((c >= 0xD800) && (c <= 0xDBFF) && (i + 1 < text.length)) { length += 4; i++; }
		else length += 3;
	}
	return length;
}
