/*
 * ftpsock: FTP data connections, with file bytes moved natively between the volume and the
 * socket (never through the XS heap). Errors are Error objects whose message is a code:
 * "EABORTED" (abort() was called), "ECONNRESET" (peer closed or reset early), "ETIMEDOUT"
 * (no progress for `idleTimeout` ms), "EREFUSED" (connect refused), or a volume code
 * ("ENOENT", "ENOSPC"...).
 */
declare module "ftpsock" {
	export interface ListenerOptions {
		/** local address to bind ("0.0.0.0" for any) */
		address: string;
		/** a port, or 0 for any; with portMin/portMax: the first free port of that range */
		port?: number;
		portMin?: number;
		portMax?: number;
		/** only a connection from this IPv4 address is accepted; others are closed at once */
		peer: string;
		/** called with the options as `this` (a listener's owner can be among them, for callbacks that are not closures) */
		onConnect: (connection: DataConnection) => void;
		onError?: (code: string) => void;
	}

	/** A passive listener that accepts exactly one connection, then stops listening. */
	export class DataListener {
		constructor(options: ListenerOptions);
		readonly port: number;
		close(): void;
	}

	export interface ConnectOptions {
		address: string;
		port: number;
		onConnect: (connection: DataConnection) => void;
		onError: (code: string) => void;
	}

	/** 0 LIST, 1 NLST, 2 MLSD, 3 STAT: the formats of modules/listing/format.ts */
	export type ListingFormat = 0 | 1 | 2 | 3;

	/** A transfer's end: `this` is its connection; `code` undefined on success, `bytes` moved. */
	export type TransferCallback = (this: DataConnection, code: string | undefined, bytes: number) => void;

	export interface TransferOptions {
		/** ms without any progress before the transfer fails with ETIMEDOUT; 0 = never */
		idleTimeout?: number;
	}

	export class DataConnection {
		/** active mode (PORT/EPRT) */
		static connect(options: ConnectOptions): DataConnection;
		readonly remoteAddress: string;
		readonly remotePort: number;
		/** bytes moved by the current or last transfer */
		readonly bytes: number;
		/**
		 * µs since the last receiveFile met the peer's FIN (its end of file), at least: how much
		 * of tcppeer's grace for the control connection has passed already. -1 when it did not.
		 */
		readonly sinceEnd: number;
		/**
		 * file → socket from `offset`; resolves with the bytes sent once all are handed to the kernel/stack.
		 * `file` is a path, or a FileSource whose open file the transfer takes over (the FileSource is
		 * closed by the call; the transfer closes the file when it ends, whatever the outcome).
		 */
		sendFile(file: string | FileSource, offset: number, options?: TransferOptions): Promise<number>;
		/** socket → file until EOF; mode "w" truncates, "a" appends; `offset` resumes a "w" at that byte. Resolves after EOF, when every byte is written and the file is closed. */
		receiveFile(path: string, mode: "w" | "a", offset: number, options?: TransferOptions): Promise<number>;
		/**
		 * the listing of the folder `path`, made natively (ftpsock_listing.c) and sent as a file is:
		 * format 0 LIST (`ls -l` lines), 1 NLST (names), 2 MLSD (facts), 3 STAT (LIST lines after a
		 * space); `now` (seconds, UTC) decides which LIST times show the year, `writable` the
		 * permissions shown. Temporary uploads are left out. Resolves with the bytes sent.
		 */
		sendListing(path: string, format: ListingFormat, writable: boolean, now: number, options?: TransferOptions): Promise<number>;
		/** sends bytes from JS; resolves once written */
		send(data: ArrayBuffer | string): Promise<void>;
		/*
		 * The same four without a promise: `callback(code, bytes)` runs once, later (never inside the
		 * call), with the connection as `this` and `code` undefined on success. They return
		 * undefined, or the code of why the operation could not start (then no callback comes).
		 * `idleTimeout`: ms, 0 = never. `writable`: 1 or 0.
		 */
		startSendFile(file: string | FileSource, offset: number, idleTimeout: number, callback: TransferCallback): string | undefined;
		startReceiveFile(path: string, mode: "w" | "a", offset: number, idleTimeout: number, callback: TransferCallback): string | undefined;
		startSendListing(path: string, format: ListingFormat, writable: 0 | 1, now: number, idleTimeout: number, callback: TransferCallback): string | undefined;
		startSend(data: ArrayBuffer | string, callback: TransferCallback): string | undefined;
		/**
		 * ends the current transfer: its promise rejects with EABORTED (a pending connect: onError("EABORTED")).
		 * A receive's file is closed as it is: the caller deletes it. true when an operation was pending; false
		 * when none was, also when the last one has settled natively and its promise's reaction has not run
		 * yet (nothing was interrupted: its result stands).
		 */
		abort(): boolean;
		/** closes after what was sent is flushed (shutdown, so the client reads every byte, then EOF); a pending transfer rejects with EABORTED, a pending connect is dropped without a callback */
		close(): void;
	}

	/**
	 * A file opened for reading before its transfer, for sendFile: a download learns its size, or
	 * why it cannot be sent, from the open itself, and the transfer sends that very file without
	 * looking its path up again. The constructor throws an Error whose message is a volume code
	 * (ENOENT; EISDIR for a folder). Until sendFile takes it, its owner closes it.
	 */
	export class FileSource {
		constructor(path: string);
		/** bytes, when it was opened */
		readonly size: number;
		/** closes the file; nothing once sendFile took it or after an earlier close */
		close(): void;
	}

	/**
	 * A folder's listing made natively, read a buffer at a time (STAT's, onto the control
	 * connection). The constructor throws an Error whose message is a volume code.
	 */
	export class Listing {
		constructor(path: string, format: ListingFormat, writable: boolean, now: number);
		/** fills `buffer` with the next bytes (lines end with CRLF, one may be split between reads); 0 at the end */
		read(buffer: ArrayBuffer | ArrayBufferView): number;
		close(): void;
	}

	/** The local IPv4 address this host uses to reach `remote` (for the 227 reply). */
	export function localAddressFor(remote: string): string;
}
