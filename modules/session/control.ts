/*
 * The control connection: an async iterator of command lines (`for await (const input of
 * control)`) over an ECMA-419 TCP socket, and an ordered reply writer.
 *
 * Reading stops while a few lines wait unconsumed, so a client that floods commands is
 * held back by TCP instead of growing the heap. Replies are queued and written as the socket
 * says it has room (ECMA-419 throws on writes beyond the announced room).
 */
import TCP from "embedded:io/socket/tcp";
import {LineSplitter, LineProblem} from "../protocol/lines";
import {encodeUTF8} from "../protocol/utf8";

export type ControlInput = {line: string; problem?: undefined} | {line?: undefined; problem: LineProblem};

/** Lines queued before reading pauses. */
const MAX_QUEUED = 4;

export class ControlConnection implements AsyncIterableIterator<ControlInput> {
	#socket: TCP;
	#splitter: LineSplitter;
	#queue: ControlInput[] = [];
	#waiter: ((result: IteratorResult<ControlInput>) => void) | undefined;
	#readable = 0;
	#writable = 0;
	#output: Uint8Array[] = [];
	#ended = false;		// the peer closed or the socket failed
	#closing = false;	// close() was called: close once the output is flushed
	#closed = false;
	/** Sees each input before it is queued; returns true when it took it (ABOR during a transfer). */
	interrupt: ((input: ControlInput) => boolean) | undefined;
	/** Called once when the connection is gone. */
	onClose: (() => void) | undefined;
	readonly remoteAddress: string;

	constructor(from: TCP) {
		this.#splitter = new LineSplitter({
			line: (line: string) => this.#input({line}),
			invalid: (problem: LineProblem) => this.#input({problem}),
		});
		const self = this;
		this.#socket = new TCP({
			from,
			// replies are small and answered at once: Nagle would hold a 226 behind the
			// client's delayed ACK of the 150 (40 ms per transfer)
			nodelay: true,
			onReadable(count: number) {
				self.#readable = count;
				self.#read();
			},
			onWritable(count: number) {
				self.#writable = count;
				self.#flush();
			},
			onError() {
				self.#fail();
			},
		});
		this.remoteAddress = this.#socket.remoteAddress ?? "0.0.0.0";
	}

	/** The address the client reached, when the socket can tell. */
	get localAddress(): string | undefined {
		return (this.#socket as unknown as {localAddress?: string}).localAddress;
	}

	get closed(): boolean {
		return this.#closed;
	}

	[Symbol.asyncIterator](): AsyncIterableIterator<ControlInput> {
		return this;
	}

	next(): Promise<IteratorResult<ControlInput>> {
		const input = this.#queue.shift();
		if (input) {
			this.#read();
			return Promise.resolve({value: input, done: false});
		}
		if (this.#ended || this.#closing)
			return Promise.resolve({value: undefined, done: true});
		return new Promise(resolve => { this.#waiter = resolve; });
	}

	return(): Promise<IteratorResult<ControlInput>> {
		this.close();
		return Promise.resolve({value: undefined, done: true});
	}

	/** Queues a reply (already formatted with its CRLF). */
	write(text: string): void {
		if (this.#closed || this.#ended)
			return;
		this.#output.push(new Uint8Array(encodeUTF8(text)));
		this.#flush();
	}

	/** Closes once queued replies are written. */
	close(): void {
		if (this.#closing || this.#closed)
			return;
		this.#closing = true;
		this.#wake();
		this.#flush();
	}

	#input(input: ControlInput): void {
		if (this.interrupt?.(input))
			return;
		if (this.#waiter) {
			const waiter = this.#waiter;
			this.#waiter = undefined;
			waiter({value: input, done: false});
		}
		else
			this.#queue.push(input);
	}

	#read(): void {
		while ((this.#readable > 0) && (this.#queue.length < MAX_QUEUED) && !this.#closed) {
			const count = this.#readable;
			this.#readable = 0;
			const bytes = this.#socket.read(count) as ArrayBuffer;
			this.#splitter.feed(new Uint8Array(bytes));
		}
	}

	#flush(): void {
		const output = this.#output;
		while (output.length && (this.#writable > 0) && !this.#closed) {
			const chunk = output[0];
			if (chunk.byteLength <= this.#writable) {
				output.shift();
				this.#writable -= chunk.byteLength;
				this.#socket.write(chunk);
			}
			else {
				const part = chunk.subarray(0, this.#writable);
				output[0] = chunk.subarray(this.#writable);
				this.#writable = 0;
				this.#socket.write(part);
			}
		}
		if (this.#closing && !output.length)
			this.#destroy();
	}

	#fail(): void {
		this.#ended = true;
		this.#output.length = 0;
		this.#destroy();
	}

	#wake(): void {
		if (this.#waiter) {
			const waiter = this.#waiter;
			this.#waiter = undefined;
			waiter({value: undefined, done: true});
		}
	}

	#destroy(): void {
		if (this.#closed)
			return;
		this.#closed = true;
		this.#socket.close();
		this.#wake();
		this.onClose?.();
	}
}
