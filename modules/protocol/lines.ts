/*
 * Splits the control connection's bytes into command lines.
 *
 * Memory stays bounded: the rest of an overlong line is discarded until its end. The line
 * buffer is shared by every session (lines are cut synchronously, within one feed); a session
 * keeps bytes of its own only for a line cut in two by the network, and only as many as it
 * has. Telnet commands (IAC IP, IAC DM before ABOR, RFC 959 4.1.3) are dropped, IAC IAC is
 * a literal 0xFF, and an LF always ends a line, even right after an IAC (a client's stray 0xFF
 * must not merge two commands and leave the first without a reply).
 */
import {decodeUTF8, decodeASCII} from "./utf8";

export const MAX_LINE = 1024;

export type LineProblem = "too long" | "NUL" | "not UTF-8";

export interface LineSink {
	line(text: string): void;
	invalid(problem: LineProblem): void;
}

const IAC = 0xFF;

const enum Telnet { None, Command, Option }

// Created on first use, not at load: a preloaded module's objects are frozen in flash.
type XsString = StringConstructor & {fromArrayBuffer?(buffer: ArrayBufferLike, offset: number, length: number): string};

/** XS's native UTF-8 decoder (an XS extension); Node's unit tests have none and use cut(). */
const fromArrayBuffer = (String as XsString).fromArrayBuffer;

let shared: Uint8Array | undefined;
let sharedInUse = false;

export class LineSplitter {
	/** the start of a line that the last feed ended in the middle of */
	#partial: Uint8Array | undefined;
	#length = 0;
	#overflow = false;
	#nul = false;
	#telnet = Telnet.None;
	/** the unfinished line has bytes beyond ASCII */
	#high = false;
	#sink: LineSink;

	constructor(sink: LineSink) {
		this.#sink = sink;
	}

	feed(bytes: Uint8Array): void {
		if (!this.feedText(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length))
			this.feedBytes(bytes);
	}

	/** The bytes feedText() did not take, a byte at a time. */
	feedBytes(bytes: Uint8Array): void {
		// a sink that feeds another splitter from inside line() gets a buffer of its own
		const own = sharedInUse;
		const buffer = own ? new Uint8Array(MAX_LINE + 1) : (shared ??= new Uint8Array(MAX_LINE + 1));	// + the CR
		sharedInUse = true;
		try {
			if (this.#partial) {
				buffer.set(this.#partial);
				this.#partial = undefined;
			}
			this.cut(buffer, bytes);
			if (this.#length && !this.#overflow)
				this.#partial = buffer.slice(0, this.#length);
		}
		finally {
			if (!own)
				sharedInUse = false;
		}
	}

	/**
	 * The usual input, whole lines of ASCII with nothing pending: split as a string. XS makes
	 * the string natively (and refuses bytes that are not UTF-8, an IAC among them), and
	 * finds the line ends natively; a loop over the bytes in JS cost about a fifth of a short
	 * command's instructions on XS (its TypedArray indexOf is no faster: a property get per
	 * element). false, having taken nothing, for anything else: cut() handles it all.
	 */
	feedText(buffer: ArrayBuffer, offset: number, count: number): boolean {
		if (!fromArrayBuffer || this.#partial || this.#length || (this.#telnet !== Telnet.None))
			return false;
		let text: string;
		try {
			text = fromArrayBuffer(buffer, offset, count);
		}
		catch {
			// not UTF-8 (an IAC, a stray byte): cut() looks at each byte
			return false;
		}
		// more bytes than characters: beyond ASCII, whose UTF-8 cut() checks strictly
		if ((text.length !== count) || text.includes("\0"))
			return false;
		// the usual input, one whole line ending with CRLF: one look for its end
		if ((text.indexOf("\r\n") === count - 2) && (count > 1)) {
			if (count - 2 > MAX_LINE)
				this.#sink.invalid("too long");
			else
				this.#sink.line(text.slice(0, count - 2));
			return true;
		}
		let start = 0;
		for (let lf = text.indexOf("\n"); lf >= 0; lf = text.indexOf("\n", start)) {
			const end = ((lf > start) && (text.charCodeAt(lf - 1) === 0x0D)) ? lf - 1 : lf;
			if (end - start > MAX_LINE)
				this.#sink.invalid("too long");
			else
				this.#sink.line(text.slice(start, end));
			start = lf + 1;
		}
		if (start < count) {
			// the start of a line the network cut: kept as bytes, as cut() keeps them
			if (count - start > MAX_LINE + 1) {
				// already too long: only its end is looked for now
				this.#length = MAX_LINE + 1;
				this.#overflow = true;
			}
			else {
				this.#partial = new Uint8Array(buffer.slice(offset + start, offset + count));
				this.#length = count - start;
			}
		}
		return true;
	}

	/**
	 * Lines without Telnet commands: one pass over the bytes finds each line's
	 * end and what it holds (NUL, bytes beyond ASCII, IAC), then XS copies and decodes the line
	 * natively. On XS every element read of a typed array costs about 60 ns on the Linux
	 * host (far more on a device), so each pass counts: three native indexOf scans and a UTF-8
	 * check took twice as long as this.
	 */
	private cut(buffer: Uint8Array, bytes: Uint8Array): void {
		if (this.#telnet !== Telnet.None)
			return this.cutTelnet(buffer, bytes);
		const count = bytes.length;
		let start = 0, high = false;
		for (let i = 0; i < count; i++) {
			const b = bytes[i];
			if (b === IAC)
				return this.cutTelnet(buffer, bytes.subarray(start));
			if (b === 0)
				this.#nul = true;
			else if (b >= 0x80)
				high = true;
			else if (b === 0x0A) {
				this.take(buffer, bytes, start, i);
				this.end(buffer, high || this.#high);
				start = i + 1;
				high = false;
			}
		}
		if (start < count) {
			this.take(buffer, bytes, start, count);
			this.#high ||= high;
		}
	}

	/** Appends bytes[start..stop) to the line, as far as it has room. */
	private take(buffer: Uint8Array, bytes: Uint8Array, start: number, stop: number): void {
		const length = this.#length;
		const taken = Math.min(stop - start, MAX_LINE + 1 - length);
		if (taken > 0) {
			buffer.set(bytes.subarray(start, start + taken), length);
			this.#length = length + taken;
		}
		if (taken < stop - start)
			this.#overflow = true;
	}

	/** Byte by byte, for input with Telnet commands (IAC IP, IAC DM before ABOR). */
	private cutTelnet(buffer: Uint8Array, bytes: Uint8Array): void {
		let length = this.#length, overflow = this.#overflow, nul = this.#nul, telnet = this.#telnet;
		const count = bytes.length;
		for (let i = 0; i < count; i++) {
			const b = bytes[i];
			// LF ends the line whatever came before it: an IAC (or IAC WILL...) right before it is
			// an unfinished Telnet command, dropped, and must not swallow the line's end
			if ((b === 0x0A) && (telnet !== Telnet.None))
				telnet = Telnet.None;
			if (telnet !== Telnet.None) {
				if (telnet === Telnet.Option) {
					telnet = Telnet.None;
					continue;
				}
				// IAC IAC is a data byte; WILL, WONT, DO, DONT carry an option byte
				telnet = ((b >= 0xFB) && (b <= 0xFE)) ? Telnet.Option : Telnet.None;
				if (b !== IAC)
					continue;
			}
			else if (b === IAC) {
				telnet = Telnet.Command;
				continue;
			}
			else if (b === 0x0A) {
				this.#length = length;
				this.#overflow = overflow;
				this.#nul = nul;
				this.#telnet = telnet;
				this.end(buffer, true);
				length = 0;
				overflow = nul = false;
				continue;
			}
			else if (b === 0)
				nul = true;
			if (length <= MAX_LINE)
				buffer[length++] = b;
			else
				overflow = true;
		}
		this.#length = length;
		this.#overflow = overflow;
		this.#nul = nul;
		this.#telnet = telnet;
	}

	/** A line is complete; `high`: it may hold bytes beyond ASCII, so check its UTF-8. */
	private end(buffer: Uint8Array, high: boolean): void {
		let length = this.#length;
		if ((length > 0) && (buffer[length - 1] === 0x0D))
			length--;
		const overflow = this.#overflow || (length > MAX_LINE), nul = this.#nul;
		this.#length = 0;
		this.#overflow = false;
		this.#nul = false;
		this.#high = false;
		if (overflow)
			return this.#sink.invalid("too long");
		if (nul)
			return this.#sink.invalid("NUL");
		const text = high ? decodeUTF8(buffer, 0, length) : decodeASCII(buffer, length);
		if (undefined === text)
			return this.#sink.invalid("not UTF-8");
		this.#sink.line(text);
	}
}

/** The upper-case verb of a command line. */
export function verbOf(line: string): string {
	const space = line.indexOf(" ");
	return ((space < 0) ? line : line.slice(0, space)).toUpperCase();
}
