/*
 * Splits the control connection's bytes into command lines.
 *
 * Memory stays bounded: one fixed buffer per session; the rest of an overlong line is
 * discarded until its end. Telnet commands (IAC IP, IAC DM before ABOR, RFC 959 4.1.3)
 * are dropped, IAC IAC is a literal 0xFF.
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

export class LineSplitter {
	#buffer = new Uint8Array(MAX_LINE + 1);	// + the CR
	#length = 0;
	#overflow = false;
	#nul = false;
	#telnet = Telnet.None;
	#sink: LineSink;

	constructor(sink: LineSink) {
		this.#sink = sink;
	}

	feed(bytes: Uint8Array): void {
		for (let i = 0; i < bytes.length; i++) {
			const b = bytes[i];
			switch (this.#telnet) {
			case Telnet.Command:
				// IAC IAC is a data byte; WILL, WONT, DO, DONT carry an option byte
				this.#telnet = ((b >= 0xFB) && (b <= 0xFE)) ? Telnet.Option : Telnet.None;
				if (b === IAC)
					this.#push(b);
				continue;
			case Telnet.Option:
				this.#telnet = Telnet.None;
				continue;
			}
			if (b === IAC)
				this.#telnet = Telnet.Command;
			else if (b === 0x0A)
				this.#end();
			else {
				if (b === 0)
					this.#nul = true;
				this.#push(b);
			}
		}
	}

	#push(b: number): void {
		if (this.#length <= MAX_LINE)
			this.#buffer[this.#length++] = b;
		else
			this.#overflow = true;
	}

	#end(): void {
		let length = this.#length;
		if ((length > 0) && (this.#buffer[length - 1] === 0x0D))
			length--;
		const overflow = this.#overflow || (length > MAX_LINE), nul = this.#nul;
		this.#length = 0;
		this.#overflow = false;
		this.#nul = false;
		if (overflow)
			return this.#sink.invalid("too long");
		if (nul)
			return this.#sink.invalid("NUL");
		const text = decodeUTF8(this.#buffer, 0, length);
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
