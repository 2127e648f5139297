/*
 * The control connection: an async iterator of command lines (`for await (const input of
 * control)`) over an ECMA-419 TCP socket, and an ordered reply writer.
 *
 * Reading stops while a few lines wait unconsumed, so a client that floods commands is
 * held back by TCP instead of growing the heap. Replies are queued and written as the socket
 * says it has room (ECMA-419 throws on writes beyond the announced room).
 *
 * Memory: the socket's callbacks are the class's static functions, which find their
 * connection through the socket's ECMA-419 `target`, and the connection is itself its line
 * splitter's sink: no closures per session.
 */
import TCP from "embedded:io/socket/tcp";
import {confirm, prepare} from "tcppeer";
import {LineSplitter, LineProblem, LineSink} from "../protocol/lines";
import {encodeUTF8} from "../protocol/utf8";
import {log} from "../log/log";

export type ControlInput = {line: string; problem?: undefined} | {line?: undefined; problem: LineProblem};

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

export class ControlConnection implements AsyncIterableIterator<ControlInput>, LineSink {
	#socket: TCP;
	#splitter: LineSplitter;
	#queue: ControlInput[] = [];
	#waiter: ((result: IteratorResult<ControlInput>) => void) | undefined;
	#readable = 0;
	#writable = 0;
	#output: Uint8Array[] = [];
	#queued = 0;
	#drainWaiter: (() => void) | undefined;
	#ended = false;		// the peer closed or the socket failed
	#closing = false;	// close() was called: close once the output is flushed
	#closed = false;
	/** Sees each input before it is queued (the session, for ABOR during a transfer). */
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

	// called with the socket as `this`
	private static onReadable(this: ControlSocket, count: number): void {
		const connection = this.target;
		connection.#readable = count;
		connection.read();
	}

	private static onWritable(this: ControlSocket, count: number): void {
		const connection = this.target;
		connection.#writable = count;
		connection.flush();
	}

	private static onError(this: ControlSocket): void {
		this.target.fail();
	}

	/** LineSink: a command line */
	line(line: string): void {
		this.input({line});
	}

	/** LineSink: a line that cannot be a command */
	invalid(problem: LineProblem): void {
		this.input({problem});
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

	next(): Promise<IteratorResult<ControlInput>> {
		const input = this.#queue.shift();
		if (input) {
			this.read();
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
		const buffer = encodeUTF8(text);
		const length = buffer.byteLength;
		// the usual case: nothing queued and room for all of it, straight to the socket
		if (!this.#output.length && (length <= this.#writable) && !this.#closing) {
			this.#writable -= length;
			const room = (this.#socket.write(buffer) as unknown);
			if (typeof room === "number")
				this.#writable = room;
			return;
		}
		this.#output.push(new Uint8Array(buffer));
		this.#queued += length;
		this.flush();
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

	private input(input: ControlInput): void {
		if (this.owner?.interrupt(input.line))
			return;
		if (this.#waiter) {
			const waiter = this.#waiter;
			this.#waiter = undefined;
			waiter({value: input, done: false});
		}
		else
			this.#queue.push(input);
	}

	private read(): void {
		while ((this.#readable > 0) && (this.#queue.length < MAX_QUEUED) && !this.#closed) {
			const count = this.#readable;
			this.#readable = 0;
			const bytes = this.#socket.read(count) as ArrayBuffer;
			this.#splitter.feed(new Uint8Array(bytes));
		}
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
