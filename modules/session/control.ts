/*
 * The control connection: an async iterator of command lines (`for await (const input of
 * control)`) over an ECMA-419 TCP socket, and an ordered reply writer.
 *
 * While a transfer runs, the next line waits (hold(), resume()), but an ABOR reaches the
 * session at once. Reading stops while a few lines wait unconsumed, so a client that floods
 * commands is held back by TCP instead of growing the heap. Replies are queued and written as
 * the socket says it has room (ECMA-419 throws on writes beyond the announced room).
 *
 * Memory: the socket's callbacks are the class's static functions, which find their
 * connection through the socket's ECMA-419 `target`, and the connection is itself its line
 * splitter's sink: no closures per session.
 */
import TCP from "embedded:io/socket/tcp";
import {confirm, prepare} from "tcppeer";
import {LineSplitter, LineProblem, LineSink} from "../protocol/lines";
import {log} from "../log/log";

/** A command line, or why a line cannot be one (an object: a line is a plain string). */
export type ControlInput = string | {problem: LineProblem};

type Waiter = (result: IteratorResult<ControlInput>) => void;

/*
 * A promise's resolving function without a closure per promise: the executor is a module
 * function, and what it captures is taken at once.
 */
let captured: Waiter | undefined;
function capture(resolve: Waiter): void {
	captured = resolve;
}

/** Lines queued before reading pauses. */
const MAX_QUEUED = 4;

/** Who sees each input before it is queued. */
export interface ControlOwner {
	/** true when it took the line (ABOR during a transfer) */
	interrupt(line: string | undefined): boolean;
	/** for the log: "#3 127.0.0.1" */
	readonly label: string;
}

type ControlSocket = TCP & {target: ControlConnection};

/** XS's native UTF-8 encoder is an XS extension (the control connection runs on XS only). */
type XsArrayBuffer = ArrayBufferConstructor & {fromString(text: string): ArrayBuffer};

export class ControlConnection implements AsyncIterableIterator<ControlInput>, LineSink {
	// in the order each line and reply reads them (see below)
	#held = false;		// a transfer runs: the next line waits for its end (hold(), resume())
	#waiter: Waiter | undefined;
	/**
	 * The iterator's one result object, given with each line: the session's loop reads it as
	 * it resumes, before it asks for the next line (no object per line).
	 */
	#result: {value: ControlInput; done: false} = {value: "", done: false};
	#queue: ControlInput[] = [];
	#readable = 0;
	#socket: TCP;
	#splitter: LineSplitter;
	#closed = false;
	#ended = false;		// the peer closed or the socket failed
	#queued = 0;
	#writable = 0;
	#closing = false;	// close() was called: close once the output is flushed
	#output: Uint8Array[] = [];
	#drainWaiter: (() => void) | undefined;
	/** Sees each input that arrives while a transfer holds the line (the session, for ABOR). */
	owner: ControlOwner | undefined;
	readonly remoteAddress: string;

	constructor(from: TCP) {
		this.#splitter = new LineSplitter(this);
		this.#socket = new TCP({
			from,
			target: this,
			// replies are small and answered at once: Nagle would hold a 226 behind the
			// client's delayed ACK of the 150 (40 ms per transfer)
			nodelay: true,
			onReadable: ControlConnection.onReadable,
			onWritable: ControlConnection.onWritable,
			onError: ControlConnection.onError,
		} as ConstructorParameters<typeof TCP>[0]);
		this.remoteAddress = this.#socket.remoteAddress ?? "0.0.0.0";
	}

	// The methods each command runs come first, and the fields they read: XS finds a property
	// by walking an instance's own ones, then its prototype's, in the order they were made.

	/** LineSink: a command line (and, from invalid(), a line that cannot be one) */
	line(line: ControlInput): void {
		// Only a transfer can be interrupted, and it holds the line while it runs (interrupt()
		// may end it, and let the line through). The typeof only while held: this runs for
		// every command.
		if (this.#held && this.owner?.interrupt((typeof line === "string") ? line : undefined))
			return;
		if (this.#waiter && !this.#held) {
			const waiter = this.#waiter;
			this.#waiter = undefined;
			this.#result.value = line;
			waiter(this.#result);
			return;
		}
		this.#queue.push(line);
	}

	next(): Promise<IteratorResult<ControlInput>> {
		if (!this.#held && this.#queue.length) {
			const input = this.#queue.shift()!;
			this.read();
			this.#result.value = input;
			return Promise.resolve(this.#result);
		}
		if (this.#ended || this.#closing)
			return Promise.resolve({value: undefined, done: true});
		const promise = new Promise(capture);
		this.#waiter = captured;
		captured = undefined;
		return promise;
	}

	/** Queues a reply (already formatted with its CRLF). */
	write(text: string): void {
		if (this.#closed || this.#ended)
			return;
		const buffer = (ArrayBuffer as XsArrayBuffer).fromString(text);
		// the usual case: nothing queued and room for all of it (a character is at most 3 bytes
		// of UTF-8, so its byte length need not be asked), straight to the socket
		if (!this.#queued && (text.length * 3 <= this.#writable) && !this.#closing) {
			const room = (this.#socket.write(buffer) as unknown);
			this.#writable = (typeof room === "number") ? room : this.#writable - buffer.byteLength;
			return;
		}
		const length = buffer.byteLength;
		this.#output.push(new Uint8Array(buffer));
		this.#queued += length;
		this.flush();
	}

	private read(): void {
		while ((this.#readable > 0) && (this.#queue.length < MAX_QUEUED) && !this.#closed) {
			const count = this.#readable;
			this.#readable = 0;
			// as feed() does, without a view of the bytes unless they need one
			const bytes = this.#socket.read(count) as ArrayBuffer;
			if (!this.#splitter.feedText(bytes, 0, count))
				this.#splitter.feedBytes(new Uint8Array(bytes));
		}
	}

	/**
	 * A transfer has started: its command's loop turn is over, but the next line waits (queued,
	 * as reading goes on) until resume(). Lines still reach the owner's interrupt() (ABOR).
	 */
	hold(): void {
		this.#held = true;
	}

	/** The transfer has ended: the next line goes to the session. */
	resume(): void {
		this.#held = false;
		const waiter = this.#waiter;
		if (waiter && this.#queue.length) {
			this.#waiter = undefined;
			this.#result.value = this.#queue.shift()!;
			waiter(this.#result);
			this.read();
		}
	}

	// called with the socket as `this`
	private static onReadable(this: ControlSocket, count: number): void {
		const connection = this.target;
		connection.#readable = count;
		if ((connection.#queue.length >= MAX_QUEUED) || connection.#closed)
			return;
		// read()'s one turn inline (count is all there is to read): this runs for every line
		connection.#readable = 0;
		const bytes = this.read(count) as ArrayBuffer;
		if (!connection.#splitter.feedText(bytes, 0, count))
			connection.#splitter.feedBytes(new Uint8Array(bytes));
	}

	private static onWritable(this: ControlSocket, count: number): void {
		const connection = this.target;
		connection.#writable = count;
		connection.flush();
	}

	private static onError(this: ControlSocket): void {
		this.target.fail();
	}

	/** LineSink: a line that cannot be a command */
	invalid(problem: LineProblem): void {
		this.line({problem});
	}

	/** The address the client reached, when the socket can tell. */
	get localAddress(): string | undefined {
		// a closed socket has none (a PASV granted the channel after its session was told 421)
		if (this.#closed)
			return undefined;
		return (this.#socket as unknown as {localAddress?: string}).localAddress;
	}

	get closed(): boolean {
		return this.#closed;
	}

	/**
	 * Whether the client is still there, as the TCP stack sees it once a dying client's last
	 * FIN or RST has had its grace to arrive (tcppeer): settles with false when the connection
	 * was closed, half-closed, reset or failed, even if its onError has not reached us yet.
	 * Asked before an upload is committed: a client that dies closes both of its connections,
	 * and the data connection's FIN alone looks like the end of a complete upload.
	 * `elapsed`: µs since that FIN (DataConnection's sinceEnd), where the grace is timed from.
	 */
	confirmPeer(elapsed: number): Promise<boolean> {
		if (this.#closed || this.#ended || this.#closing)
			return Promise.resolve(false);
		// where the stack cannot tell (tcppeer_lwip.c), the socket's onError within the grace does
		return new Promise(resolve => {
			// `how` (Linux host): how the stack answered, e.g. "peer process sleeping" or "grace"
			if (!confirm(this.#socket, (open, how) => {
				if (log.level >= 2)
					log.protocol(`${this.owner?.label ?? this.remoteAddress} peer check: ${how ?? "grace"}`);
				resolve(open && !this.#ended);
			}, elapsed))
				resolve(false);
		});
	}

	/** As an upload starts: lets confirmPeer() know the client's process (tcppeer's prepare). */
	preparePeer(): void {
		if (!this.#closed)
			prepare(this.#socket);
	}

	/** Bytes of replies waiting for room on the socket. */
	get queued(): number {
		return this.#queued;
	}

	/**
	 * Settles once every queued reply has gone to the socket, or the connection is gone: a
	 * long reply written a line at a time waits here instead of queueing all of itself.
	 */
	drained(): Promise<void> {
		if (!this.#queued || this.#closed)
			return Promise.resolve();
		return new Promise(resolve => { this.#drainWaiter = resolve; });
	}

	[Symbol.asyncIterator](): AsyncIterableIterator<ControlInput> {
		return this;
	}

	return(): Promise<IteratorResult<ControlInput>> {
		this.close();
		return Promise.resolve({value: undefined, done: true});
	}

	/** Queues bytes already encoded (a native listing's lines); they must not change afterwards. */
	writeBytes(bytes: Uint8Array): void {
		if (this.#closed || this.#ended)
			return;
		this.#output.push(bytes);
		this.#queued += bytes.byteLength;
		this.flush();
	}

	/** Closes once queued replies are written. */
	close(): void {
		if (this.#closing || this.#closed)
			return;
		this.#closing = true;
		this.wake();
		this.flush();
	}

	private flush(): void {
		const output = this.#output;
		while (output.length && (this.#writable > 0) && !this.#closed) {
			const chunk = output[0];
			let part = chunk;
			if (chunk.byteLength <= this.#writable)
				output.shift();
			else {
				part = chunk.subarray(0, this.#writable);
				output[0] = chunk.subarray(this.#writable);
			}
			this.#queued -= part.byteLength;
			this.#writable -= part.byteLength;
			// lwIP's write (and the Linux host's) answers the room left: often more than the
			// count above, as the bytes may already be on their way
			const room = (this.#socket.write(part) as unknown);
			if (typeof room === "number")
				this.#writable = room;
		}
		if (!output.length)
			this.drain();
		if (this.#closing && !output.length)
			this.destroy();
	}

	private fail(): void {
		this.#ended = true;
		this.#output.length = 0;
		this.#queued = 0;
		this.destroy();
	}

	private drain(): void {
		const waiter = this.#drainWaiter;
		this.#drainWaiter = undefined;
		waiter?.();
	}

	private wake(): void {
		if (this.#waiter) {
			const waiter = this.#waiter;
			this.#waiter = undefined;
			waiter({value: undefined, done: true});
		}
	}

	private destroy(): void {
		if (this.#closed)
			return;
		this.#closed = true;
		this.#socket.close();
		this.wake();
		this.drain();
	}
}
