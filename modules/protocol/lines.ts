/*
 * Splits the control connection's bytes into command lines.
 *
 * Memory stays bounded: the rest of an overlong line is discarded until its end. The line
 * buffer is shared by every session (lines are cut synchronously, within one feed); a session
 * keeps bytes of its own only for a line cut in two by the network, and only as many as it
 * has. Telnet commands (IAC IP, IAC DM before ABOR, RFC 959 4.1.3) are dropped, IAC IAC is
 * a literal 0xFF.
 */
import {decodeUTF8} from "./utf8";

export const MAX_LINE = 1024;

export type LineProblem = "too long" | "NUL" | "not UTF-8";

export interface LineSink {
	line(text: string): void;
	invalid(problem: LineProblem): void;
}

const IAC = 0xFF;

const enum Telnet { None, Command, Option }

// Created on first use, not at load: a preloaded module's objects are frozen in flash.
let shared: Uint8Array | undefined;
let sharedInUse = false;

export class LineSplitter {
	/** the start of a line that the last feed ended in the middle of */
	#partial: Uint8Array | undefined;
	#length = 0;
	#overflow = false;
	#nul = false;
	#telnet = Telnet.None;
	#sink: LineSink;

	constructor(sink: LineSink) {
		this.#sink = sink;
	}

	feed(bytes: Uint8Array): void {
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

	private cut(buffer: Uint8Array, bytes: Uint8Array): void {
		for (let i = 0; i < bytes.length; i++) {
			const b = bytes[i];
			switch (this.#telnet) {
			case Telnet.Command:
				// IAC IAC is a data byte; WILL, WONT, DO, DONT carry an option byte
				this.#telnet = ((b >= 0xFB) && (b <= 0xFE)) ? Telnet.Option : Telnet.None;
				if (b === IAC)
					this.push(buffer, b);
				continue;
			case Telnet.Option:
				this.#telnet = Telnet.None;
				continue;
			}
			if (b === IAC)
				this.#telnet = Telnet.Command;
			else if (b === 0x0A)
				this.end(buffer);
			else {
				if (b === 0)
					this.#nul = true;
				this.push(buffer, b);
			}
		}
	}

	private push(buffer: Uint8Array, b: number): void {
		if (this.#length <= MAX_LINE)
			buffer[this.#length++] = b;
		else
			this.#overflow = true;
	}

	private end(buffer: Uint8Array): void {
		let length = this.#length;
		if ((length > 0) && (buffer[length - 1] === 0x0D))
			length--;
		const overflow = this.#overflow || (length > MAX_LINE), nul = this.#nul;
		this.#length = 0;
		this.#overflow = false;
		this.#nul = false;
		if (overflow)
			return this.#sink.invalid("too long");
		if (nul)
			return this.#sink.invalid("NUL");
		const text = decodeUTF8(buffer, 0, length);
		if (undefined === text)
			return this.#sink.invalid("not UTF-8");
		this.#sink.line(text);
	}
}

/** Splits "VERB argument" into an upper-case verb and its argument (spaces kept, per RFC 959 pathnames). */
export function parseCommand(line: string): {verb: string; argument: string} {
	const space = line.indexOf(" ");
	if (space < 0)
		return {verb: line.toUpperCase(), argument: ""};
	return {verb: line.slice(0, space).toUpperCase(), argument: line.slice(space + 1)};
}
