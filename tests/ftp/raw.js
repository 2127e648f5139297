// A bare control-connection client: sends exact lines and reads whole replies (multi-line
// aware, RFC 959 4.2), for tests that need the precise bytes and codes.
import net from "node:net";

export class RawClient {
	static async connect(port, host = "127.0.0.1") {
		const client = new RawClient();
		client.socket = net.connect(port, host);
		client.socket.setEncoding("utf8");
		client.buffer = "";
		client.waiters = [];
		client.closed = false;
		client.socket.on("data", text => { client.buffer += text; client.#pump(); });
		client.socket.on("close", () => { client.closed = true; client.#pump(); });
		client.socket.on("error", () => {});
		await new Promise((resolve, reject) => {
			client.socket.once("connect", resolve);
			client.socket.once("error", reject);
		});
		return client;
	}

	#pump() {
		while (this.waiters.length) {
			const reply = this.#take();
			if (!reply) {
				if (this.closed)
					this.waiters.shift().resolve({code: 0, text: "", closed: true});
				else
					return;
				continue;
			}
			this.waiters.shift().resolve(reply);
		}
	}

	/** One whole reply from the buffer, or undefined. */
	#take() {
		const lines = this.buffer.split("\r\n");
		if (lines.length < 2)
			return undefined;
		const first = /^(\d{3})([ -])/.exec(lines[0]);
		if (!first)
			throw new Error(`bad reply line: ${JSON.stringify(lines[0])}`);
		let end = 0;
		if (first[2] === "-") {
			end = lines.findIndex((line, i) => i > 0 && line.startsWith(first[1] + " "));
			if ((end < 0) || (end >= lines.length - 1))
				return undefined;
		}
		const text = lines.slice(0, end + 1).join("\n");
		this.buffer = lines.slice(end + 1).join("\r\n");
		return {code: Number(first[1]), text};
	}

	/**
	 * The next reply (code 0 and closed: true once the server closed the connection). A wait
	 * that times out takes its waiter back, so the reply that comes late is the next wait's,
	 * not lost to the abandoned one (which put every later reply one off).
	 */
	reply(timeout = 10000) {
		return new Promise((resolve, reject) => {
			const waiter = {resolve: value => { clearTimeout(timer); resolve(value); }};
			const timer = setTimeout(() => {
				const at = this.waiters.indexOf(waiter);
				if (at >= 0)
					this.waiters.splice(at, 1);
				reject(new Error(`no reply in ${timeout} ms`));
			}, timeout);
			this.waiters.push(waiter);
			this.#pump();
		});
	}

	send(line) {
		this.socket.write(typeof line === "string" ? line + "\r\n" : line);
	}

	async command(line, timeout) {
		this.send(line);
		return this.reply(timeout);
	}

	/** Connects, reads the greeting, logs in (anonymously unless told otherwise). */
	static async login(port, user = "anonymous", password = "test@") {
		const client = await RawClient.connect(port);
		const greeting = await client.reply();
		if (greeting.code !== 220)
			throw new Error(`greeting: ${greeting.text}`);
		await client.command(`USER ${user}`);
		const pass = await client.command(`PASS ${password}`);
		if (pass.code !== 230)
			throw new Error(`login: ${pass.text}`);
		return client;
	}

	/** Opens a passive data connection: sends PASV, connects, returns the socket. */
	async passive() {
		const reply = await this.command("PASV");
		const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.text);
		if (reply.code !== 227 || !m)
			throw new Error(`PASV: ${reply.text}`);
		const socket = net.connect(Number(m[5]) * 256 + Number(m[6]), m.slice(1, 5).join("."));
		await new Promise((resolve, reject) => { socket.once("connect", resolve); socket.once("error", reject); });
		return socket;
	}

	close() {
		this.socket.destroy();
	}
}

/** All bytes a socket delivers until it ends. */
export function readAll(socket) {
	return new Promise((resolve, reject) => {
		const chunks = [];
		socket.on("data", chunk => chunks.push(chunk));
		socket.on("end", () => resolve(Buffer.concat(chunks)));
		socket.on("error", reject);
	});
}
