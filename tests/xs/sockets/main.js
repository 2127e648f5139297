/*
 * Socket probe: drives embedded:io/socket/tcp and embedded:io/socket/listener from the
 * command line for tests/sockets.test.js. Listening modes bind 127.0.0.1 on the given port
 * (0: any) and print "ready <port>".
 *
 *   echo [port]            echoes every byte of every connection, reading all that arrives;
 *                          prints "error <id> <bytes echoed>" when a connection reports onError
 *   pipe [port]            the same, reading only what can be written at once (backpressure)
 *   number [port]          format "number": echoes each byte plus one, a byte per read() / write()
 *   info [port]            answers each connection with one line
 *                          "<localAddress> <localPort> <remoteAddress> <remotePort>", then closes
 *   blast <bytes> [port]   sends <bytes> bytes (byte i is i & 255) to each connection, then closes
 *                          (twice: the second close() must do nothing)
 *   flood <ms> [port]      sends the same pattern as fast as it is taken; once nothing was taken for
 *                          <ms>, calls close() with output still queued and prints "closed <bytes written>"
 *   connect <port>         connects to 127.0.0.1:<port>, sends the "info" line, then echoes;
 *                          prints "error <bytes echoed>" and exits at onError
 */

import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import {args, print, error, exit} from "host";
import Timer from "timer";

function addresses(socket) {
	return `${socket.localAddress} ${socket.localPort} ${socket.remoteAddress} ${socket.remotePort}\n`;
}

/*
 * Moves bytes from `next()` to the socket, never writing more than the last writable count.
 * next() returns an ArrayBuffer or undefined; a returned buffer may exceed what fits (the SDK's
 * Linux TCP ignores read(count) and returns everything), the rest is held for later.
 */
class Pump {
	constructor(next, done) {
		this.next = next;
		this.done = done;
		this.writable = 0;
		this.held = undefined;
		this.bytes = 0;
		this.socket = undefined;
	}
	run() {
		const socket = this.socket;
		while (this.writable > 0) {
			if (!this.held) {
				this.held = this.next(this.writable);
				if (!this.held) {
					this.done?.();
					return;
				}
			}
			const held = this.held;
			const count = Math.min(held.byteLength, this.writable);
			this.writable = socket.write((count === held.byteLength) ? held : held.slice(0, count));
			this.bytes += count;
			this.held = (count === held.byteLength) ? undefined : held.slice(count);
		}
	}
}

/*
 * Echoes what the socket receives. Eager (the way the FTP control connection reads): every
 * onReadable takes all buffered bytes, queued in JS until writable. Lazy (backpressure): reads
 * only what can be written now, so the native input buffer fills and the socket stops reading.
 * As on lwIP, onError comes only once everything buffered has been read: a lazy echo whose
 * peer resets while both directions are full never reads again, so never sees onError.
 */
function echo(options, lazy, greeting, onError) {
	let readable = 0, reads = 0;
	const queue = [];
	const pump = new Pump(writable => {
		if (greeting instanceof ArrayBuffer) {
			const it = greeting;
			greeting = undefined;
			return it;
		}
		if (queue.length)
			return queue.shift();
		if (readable <= 0)
			return;
		const count = Math.min(readable, writable);
		let it;
		if (reads++ & 1) {
			// every other read fills a buffer of ours: read(buffer) answers the count
			it = new ArrayBuffer(count);
			if (pump.socket.read(it) !== count)
				throw new Error("read(buffer)");
		}
		else
			it = pump.socket.read(count);
		readable -= it.byteLength;
		return it;
	});
	pump.socket = new TCP({
		...options,
		onReadable(count) {
			if (lazy)
				readable = count;
			else
				queue.push(this.read());
			pump.run();
		},
		onWritable(count) {
			if (greeting === true)
				greeting = ArrayBuffer.fromString(addresses(this));
			pump.writable = count;
			pump.run();
		},
		onError() {
			onError(pump.bytes);
			this.close();
		},
	});
}

function info(from) {
	let line;
	const pump = new Pump(() => {
		const it = line;
		line = undefined;
		return it;
	}, () => pump.socket.close());
	pump.socket = new TCP({
		from,
		onWritable(count) {
			line ??= ArrayBuffer.fromString(addresses(this));
			pump.writable = count;
			pump.run();
		},
	});
}

function blast(from, total, stall) {
	// a whole number of 256-byte periods: any slice starting at (sent & 255) continues the pattern
	const pattern = new Uint8Array(16384 + 256);
	for (let i = 0; i < pattern.length; i++)
		pattern[i] = i & 255;
	let sent = 0;
	const pump = new Pump(writable => {
		const count = Math.min(total - sent, writable, 16384);
		if (count <= 0)
			return;
		const start = sent & 255;
		sent += count;
		return pattern.buffer.slice(start, start + count);
	}, () => {
		pump.socket.close();
		pump.socket.close();		// a second close() does nothing
	});
	let timer;
	pump.socket = new TCP({
		from,
		onWritable(count) {
			pump.writable = count;
			pump.run();
			if (undefined === stall)
				return;
			// every write fills the queue (writable 0): no onWritable for `stall` ms means the
			// kernel takes nothing more, so close() has to keep what is queued
			if (timer)
				Timer.clear(timer);
			timer = Timer.set(() => {
				pump.socket.close();
				print(`closed ${pump.bytes}`);
			}, stall);
		},
		onError() {
			if (timer)
				Timer.clear(timer);
			this.close();		// the peer went away before the end
		},
	});
}

// format "number": one byte per read() and per write(), echoed plus one
function numbers(from) {
	let readable = 0, writable = 0;
	const socket = new TCP({
		from,
		format: "number",
		onReadable(count) {
			readable = count;
			pump();
		},
		onWritable(count) {
			writable = count;
			pump();
		},
		onError() {
			this.close();
		},
	});
	function pump() {
		for (; (readable > 0) && (writable > 0); readable--)
			writable = socket.write((socket.read() + 1) & 255);
	}
}

function listen(port, accept) {
	let connections = 0;
	const listener = new Listener({
		address: "127.0.0.1",
		port,
		onReadable(count) {
			while (count--) {
				const from = this.read();
				if (!from)
					break;
				accept(from, ++connections);
			}
		},
	});
	print(`ready ${listener.port}`);
}

export default function main() {
	const [mode, ...rest] = args();
	switch (mode) {
		case "echo":
		case "pipe":
			listen(Number(rest[0] ?? 0), (from, id) => echo({from, nodelay: true}, "pipe" === mode, undefined, bytes => print(`error ${id} ${bytes}`)));
			break;
		case "info":
			listen(Number(rest[0] ?? 0), from => info(from));
			break;
		case "blast":
			listen(Number(rest[1] ?? 0), from => blast(from, Number(rest[0])));
			break;
		case "number":
			listen(Number(rest[0] ?? 0), from => numbers(from));
			break;
		case "flood":
			listen(Number(rest[1] ?? 0), from => blast(from, Infinity, Number(rest[0])));
			break;
		case "connect":
			echo({address: "127.0.0.1", port: Number(rest[0])}, false, true, bytes => {
				print(`error ${bytes}`);
				exit(0);
			});
			break;
		default:
			error("usage: sockets-probe echo|pipe|number|info|blast|flood|connect ...");
			exit(64);
	}
}
