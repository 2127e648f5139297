/*
 * ftpsock probe: one scenario per run, chosen by key=value arguments, driven from
 * tests/ftpsock.test.js over loopback. Prints one line per event:
 *   LISTENING <port> | LISTEN_FAILED <code> | LISTENER_ERROR <code>
 *   CONNECTED <remoteAddress> <remotePort> | CONNECT_FAILED <code>
 *   DONE <resolved> <bytes> <ms> <sinceEnd> | FAILED <code> <bytes> <ms> <sinceEnd>
 *   ABORT <abort()'s result> (abortAfter=ms) | ABORT_IDLE <abort()'s result once settled>
 *   LOCAL <address> | FDS <label> <count> ... | EXIT
 *   SOURCE <size> | SOURCE_FAILED <code> (op=sendSource: the FileSource opened before listening)
 *   TAKEN <what its size, then a second sendFile once the first is done, say: sendFile took it>
 *   SOURCES ... (op=sources)
 */
import {args, print, exit} from "host";
import Timer from "timer";
import {DataListener, DataConnection, FileSource, localAddressFor} from "ftpsock";
import {mountRoot, mountImage} from "volume";
import {collect, fdCount} from "probe";

type Options = Record<string, string | undefined>;

function parse(list: string[]): Options {
	const options: Options = {};
	for (const item of list) {
		const equal = item.indexOf("=");
		options[item.slice(0, equal)] = item.slice(equal + 1);
	}
	return options;
}

function done(): void {
	print("EXIT");
	exit(0);
}

function pattern(size: number): ArrayBuffer {
	const bytes = new Uint8Array(size);
	for (let i = 0; i < size; i++)
		bytes[i] = i & 255;
	return bytes.buffer;
}

/** op=sendSource: the file opened before the connection, as RETR opens it before its 150. */
let source: FileSource | undefined;

function message(run: () => unknown): string {
	try {
		return String(run());
	}
	catch (e) {
		return (e as Error).message;
	}
}

async function operate(connection: DataConnection, o: Options): Promise<number> {
	const offset = Number(o.offset ?? 0);
	const options = {idleTimeout: Number(o.idle ?? 0)};
	switch (o.op) {
		case "sendFile":
			return connection.sendFile(o.path!, offset, options);
		case "sendSource": {
			const sending = connection.sendFile(source!, offset, options);
			// taken: the FileSource has nothing left to tell, nor to send again
			const size = message(() => source!.size);
			const result = await sending;
			const again = await connection.sendFile(source!, 0, options).then(() => "sent", (e: Error) => e.message);
			print(`TAKEN ${size} ${again}`);
			return result;
		}
		case "receiveFile":
			return connection.receiveFile(o.path!, ("a" === o.mode) ? "a" : "w", offset, options);
		case "send":
			await connection.send((undefined !== o.bytes) ? pattern(Number(o.bytes)) : (o.text ?? ""));
			return connection.bytes;
	}
	throw new Error("unknown op " + o.op);
}

async function transfer(connection: DataConnection, o: Options): Promise<void> {
	const started = Date.now();
	const abort = o.abortAfter ? Timer.set(() => print(`ABORT ${connection.abort()}`), Number(o.abortAfter)) : undefined;
	try {
		const result = await operate(connection, o);
		print(`DONE ${result} ${connection.bytes} ${Date.now() - started} ${connection.sinceEnd}`);
	}
	catch (e) {
		print(`FAILED ${(e as Error).message} ${connection.bytes} ${Date.now() - started} ${connection.sinceEnd}`);
	}
	if (abort)
		Timer.clear(abort);
	// nothing pending any more: abort() says it interrupted nothing
	print(`ABORT_IDLE ${connection.abort()}`);
	if (o.busy) {
		// a second operation while one is pending is refused, and the first goes on
		try {
			const first = connection.send("x");
			await connection.send("y").then(() => print("BUSY no"), (e: Error) => print(`BUSY ${e.message}`));
			await first;
		}
		catch (e) {
			print(`FAILED ${(e as Error).message}`);
		}
	}
	connection.close();
	done();
}

function listen(o: Options): void {
	let listener: DataListener | undefined;
	try {
		listener = new DataListener({
			address: o.address ?? "127.0.0.1",
			peer: o.peer ?? "127.0.0.1",
			port: Number(o.port ?? 0),
			portMin: Number(o.portMin ?? 0),
			portMax: Number(o.portMax ?? 0),
			onConnect(connection) {
				print(`CONNECTED ${connection.remoteAddress} ${connection.remotePort}`);
				listener!.close();
				transfer(connection, o);
			},
			onError(code) {
				print(`LISTENER_ERROR ${code}`);
				done();
			}
		});
	}
	catch (e) {
		print(`LISTEN_FAILED ${(e as Error).message}`);
		done();
		return;
	}
	print(`LISTENING ${listener.port}`);
}

function connect(o: Options): void {
	const [address, port] = o.connect!.split(":");
	DataConnection.connect({
		address,
		port: Number(port),
		onConnect(connection) {
			print(`CONNECTED ${connection.remoteAddress} ${connection.remotePort}`);
			transfer(connection, o);
		},
		onError(code) {
			print(`CONNECT_FAILED ${code}`);
			done();
		}
	});
}

// Owners that drop listeners and connections without close(): the collector's destructors
// must give every descriptor back.
let kept: DataListener | undefined;
function leak(): void {
	const before = fdCount();
	for (let i = 0; i < 20; i++)
		new DataListener({address: "127.0.0.1", peer: "127.0.0.1", port: 0, onConnect() {}});
	const during = fdCount();
	collect();
	print(`FDS listeners ${before} ${during} ${fdCount()}`);
	kept = new DataListener({
		address: "127.0.0.1",
		peer: "127.0.0.1",
		port: 0,
		onConnect(connection) {
			print(`CONNECTED ${connection.remoteAddress} ${connection.remotePort}`);
			kept = undefined;
			const during = fdCount();
			Timer.set(() => {
				collect();
				print(`FDS connection ${before} ${during} ${fdCount()}`);
				done();
			}, 10);
		}
	});
	print(`LISTENING ${kept.port}`);
}

/**
 * FileSources closed, collected and refused, on the mounted volume: SOURCES <size> <missing>
 * <the root> <size after close> <fds before> <after 20 opened> <after they were closed> <after
 * 20 more were dropped and collected>.
 */
function sources(o: Options): void {
	const opened = new FileSource(o.path!);
	const size = opened.size;
	opened.close();
	opened.close();		// a second close: nothing
	const closedSize = message(() => opened.size);
	const missing = message(() => new FileSource("/missing"));
	const folder = message(() => new FileSource("/"));
	const before = fdCount();
	const open: FileSource[] = [];
	for (let i = 0; i < 20; i++)
		open.push(new FileSource(o.path!));
	const during = fdCount();
	for (const each of open)
		each.close();
	const closed = fdCount();
	for (let i = 0; i < 20; i++)
		new FileSource(o.path!);
	collect();
	print(`SOURCES ${size} ${missing} ${folder} ${closedSize} ${before} ${during} ${closed} ${fdCount()}`);
	done();
}

export default function main(): void {
	const o = parse(args());
	if (o.root)
		mountRoot(o.root);
	else if (o.image)
		mountImage(o.image, Number(o.size));
	if ("local" === o.op) {
		try {
			print(`LOCAL ${localAddressFor(o.remote!)}`);
		}
		catch (e) {
			print(`LOCAL_FAILED ${(e as Error).message}`);
		}
		done();
	}
	else if ("leak" === o.op)
		leak();
	else if ("sources" === o.op)
		sources(o);
	else if ("sendSource" === o.op) {
		try {
			source = new FileSource(o.path!);
		}
		catch (e) {
			print(`SOURCE_FAILED ${(e as Error).message}`);
			done();
			return;
		}
		print(`SOURCE ${source.size}`);
		listen(o);
	}
	else if (o.connect)
		connect(o);
	else
		listen(o);
}
