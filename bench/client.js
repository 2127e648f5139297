// The benchmark's FTP client: raw sockets, one control connection, passive mode, binary type.
// Not basic-ftp: its per-command promise chains and stream plumbing cost more client time per
// small file than some servers take to answer, so it would measure itself (see the client
// ceiling row of the results). Bytes received are counted and dropped, never kept.
import net from "node:net";

// Downloads are counted, not kept: every data connection reads into this one buffer.
const receiveBuffer = Buffer.alloc(256 * 1024);

export class BenchClient {
	/** Connects, reads the greeting, logs in anonymously, switches to binary. */
	static async login(port, host = "127.0.0.1") {
		const client = new BenchClient();
		client.host = host;
		await client.#connect(port, host);
		client.#expect(await client.reply(), 220, "greeting");
		const user = await client.command("USER anonymous");
		if (user.code === 331)
			client.#expect(await client.command("PASS bench@"), 230, "PASS");
		else
			client.#expect(user, 230, "USER");
		client.#expect(await client.command("TYPE I"), 200, "TYPE I");
		return client;
	}

	#connect(port, host) {
		this.socket = net.connect({port, host, noDelay: true});
		this.socket.setEncoding("latin1");
		this.buffer = "";
		this.waiters = [];
		this.socket.on("data", text => {
			this.buffer += text;
			this.#pump();
		});
		this.socket.on("error", () => {});
		this.socket.on("close", () => {
			this.closed = true;
			this.#pump();
		});
		return new Promise((resolve, reject) => {
			this.socket.once("connect", resolve);
			this.socket.once("error", reject);
		});
	}

	#pump() {
		while (this.waiters.length) {
			const reply = this.#take();
			if (reply)
				this.waiters.shift().resolve(reply);
			else if (this.closed)
				this.waiters.shift().reject(new Error("control connection closed"));
			else
				return;
		}
	}

	// One whole reply (multi-line aware, RFC 959 4.2) from the buffer, or undefined.
	#take() {
		let end = this.buffer.indexOf("\r\n");
		if (end < 0)
			return undefined;
		const code = this.buffer.slice(0, 3);
		if (this.buffer[3] === "-") {
			const last = "\r\n" + code + " ";
			const at = this.buffer.indexOf(last);
			if (at < 0)
				return undefined;
			end = this.buffer.indexOf("\r\n", at + 2);
			if (end < 0)
				return undefined;
		}
		const text = this.buffer.slice(0, end);
		this.buffer = this.buffer.slice(end + 2);
		return {code: Number(code), text};
	}

	#expect(reply, code, what) {
		if (reply.code !== code)
			throw new Error(`${what}: expected ${code}, got ${reply.text}`);
		return reply;
	}

	reply() {
		return new Promise((resolve, reject) => {
			this.waiters.push({resolve, reject});
			this.#pump();
		});
	}

	command(line) {
		this.socket.write(line + "\r\n");
		return this.reply();
	}

	/** Sends PASV and connects to the port it names (`onread`: see net.connect). */
	async #passive(onread) {
		const reply = this.#expect(await this.command("PASV"), 227, "PASV");
		const m = /(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/.exec(reply.text);
		const data = net.connect({port: Number(m[5]) * 256 + Number(m[6]), host: this.host, onread});
		await new Promise((resolve, reject) => {
			data.once("connect", resolve);
			data.once("error", reject);
		});
		return data;
	}

	// A download (RETR, LIST): counts the bytes until the server's FIN, then awaits 226. The
	// bytes land in one reused buffer (`onread`), not in a new Buffer per read as 'data' events
	// would have them: that allocation was most of the client's time on fast servers.
	async #download(line) {
		let bytes = 0;
		const data = await this.#passive({buffer: receiveBuffer, callback: count => { bytes += count; }});
		const ended = new Promise((resolve, reject) => {
			data.on("end", resolve);
			data.on("error", reject);
		});
		const opening = await this.command(line);
		if ((opening.code !== 150) && (opening.code !== 125)) {
			data.destroy();
			throw new Error(`${line}: ${opening.text}`);
		}
		await ended;
		data.destroy();
		this.#expect(await this.reply(), 226, line);
		return bytes;
	}

	retrieve(name) {
		return this.#download(`RETR ${name}`);
	}

	list(path = "") {
		return this.#download(path ? `LIST ${path}` : "LIST");
	}

	/** Uploads `bytes` (a Buffer): waits for the 150, writes, half-closes, awaits 226. */
	async store(name, bytes) {
		const data = await this.#passive();
		data.on("error", () => {});
		const opening = await this.command(`STOR ${name}`);
		if ((opening.code !== 150) && (opening.code !== 125)) {
			data.destroy();
			throw new Error(`STOR ${name}: ${opening.text}`);
		}
		const closed = new Promise(resolve => data.on("close", resolve));
		data.end(bytes);
		this.#expect(await this.reply(), 226, `STOR ${name}`);
		await closed;
		return bytes.length;
	}

	async delete(name) {
		return this.#expect(await this.command(`DELE ${name}`), 250, `DELE ${name}`);
	}

	async makeDirectory(name) {
		const reply = await this.command(`MKD ${name}`);
		if (reply.code !== 257)
			throw new Error(`MKD ${name}: ${reply.text}`);
	}

	async quit() {
		try {
			await this.command("QUIT");
		}
		catch {
			// already closed: nothing to say goodbye to
		}
		this.socket.destroy();
	}
}
