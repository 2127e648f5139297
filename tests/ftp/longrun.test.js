// A host that has run for a long time, and one that is stopped in the middle of things, on the
// XS host with real sockets:
// - more than 70,000 timers set through the protocol (each PASV arms the passive listener's
//   timeout), then an upload and a download are byte-exact and PASV is still granted: the SDK's
//   Linux timer lost every 65,536th timer, which once wedged an upload and the data channel;
// - SIGINT and SIGTERM end the host within 2 s, every session told 421, while a download's
//   client stops reading, an upload's client stops sending, or a PASV holds the data channel
//   with another session waiting for it; the interrupted upload replaces nothing;
// - a timer outliving what armed it: PASV's timeout, once PORT replaced the listener, ended the
//   active transfer that followed.
import {expect} from "chai";
import net from "node:net";
import {randomBytes, createHash} from "node:crypto";
import {startServer} from "./server.js";
import {RawClient, readAll} from "./raw.js";

const sha = data => createHash("sha256").update(data).digest("hex");
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/**
 * A control connection that sends many commands at once and counts the replies by code, for
 * floods where waiting for each reply would take minutes.
 */
class Flood {
	static async login(port) {
		const flood = new Flood();
		flood.socket = net.connect(port, "127.0.0.1");
		flood.socket.setEncoding("latin1");
		flood.counts = new Map();
		flood.buffer = "";
		flood.last = "";
		flood.lastCode = {};
		flood.heard = Date.now();
		flood.socket.on("data", text => {
			flood.heard = Date.now();
			const lines = (flood.buffer + text).split("\r\n");
			flood.buffer = lines.pop();
			for (const line of lines) {
				const code = line.slice(0, 3);
				flood.counts.set(code, (flood.counts.get(code) ?? 0) + 1);
				flood.lastCode[code] = line;
				flood.last = line;
			}
		});
		flood.socket.on("error", () => {});
		await new Promise((resolve, reject) => {
			flood.socket.once("connect", resolve);
			flood.socket.once("error", reject);
		});
		flood.socket.write("USER anonymous\r\nPASS flood@\r\n");
		await flood.until("230", 1);
		return flood;
	}

	count(code) {
		return this.counts.get(code) ?? 0;
	}

	/** Sends `text` `times` times, waiting for the socket to drain between batches. */
	async send(text, times) {
		const batch = 1000;
		for (let sent = 0; sent < times; sent += batch) {
			if (!this.socket.write(text.repeat(Math.min(batch, times - sent))))
				await new Promise(resolve => this.socket.once("drain", resolve));
		}
	}

	/** Waits for the `n`th reply with `code`; fails once no reply at all came for `quietMs`. */
	async until(code, n, quietMs = 15000) {
		while (this.count(code) < n) {
			if (Date.now() - this.heard > quietMs)
				throw new Error(`${this.count(code)} of ${n} ${code} replies, then nothing for ${quietMs} ms; last reply: ${this.last}`);
			await sleep(20);
		}
	}

	close() {
		this.socket.destroy();
	}
}

describe("long run: more than 70,000 timers, then transfers still work", function () {
	this.timeout(300000);
	const PASVS = 72000;
	let server;
	before(async () => {
		// verbose 0: the log of 72,000 commands is not what this test reads
		server = await startServer({args: ["--verbose", "0", "--image-size", String(8 * 1024 * 1024)]});
	});
	after(async () => {
		await server?.dispose();
	});

	it(`${PASVS} PASVs on one connection, then STOR and RETR byte-exact, and PASV granted to another session`, async () => {
		const flood = await Flood.login(server.port);
		try {
			await flood.send("PASV\r\n", PASVS);
			await flood.until("227", PASVS);
			expect([...flood.counts.keys()].sort()).to.deep.equal(["220", "227", "230", "331"]);

			// the last PASV's listener is the session's: upload through it
			const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(flood.lastCode["227"]);
			const data = net.connect(Number(m[5]) * 256 + Number(m[6]), "127.0.0.1");
			await new Promise((resolve, reject) => { data.once("connect", resolve); data.once("error", reject); });
			const bytes = randomBytes(1024 * 1024 + 7);
			flood.socket.write("TYPE I\r\nSTOR after-timers.bin\r\n");
			await flood.until("150", 1);
			data.end(bytes);
			await flood.until("226", 1);
			expect(flood.lastCode["226"]).to.match(/^226 /);

			// another session gets the channel at once and reads the file back
			const other = await RawClient.login(server.port);
			try {
				await other.command("TYPE I");
				const back = await other.passive();
				const received = readAll(back);
				expect((await other.command("RETR after-timers.bin")).code).to.equal(150);
				const got = await received;
				expect((await other.reply()).code).to.equal(226);
				expect(got.length).to.equal(bytes.length);
				expect(sha(got)).to.equal(sha(bytes));
			}
			finally {
				other.close();
			}

			// and the flooding session once more
			flood.socket.write("PASV\r\n");
			await flood.until("227", PASVS + 1);
		}
		finally {
			flood.close();
		}
		expect(server.proc.exitCode).to.equal(null);
		expect(server.stderr).to.not.match(/^ftpd: error: |<error>|CRITICAL/m);
	});
});

describe("timers that must not outlive what armed them", function () {
	this.timeout(60000);
	let server;
	after(async () => {
		await server?.dispose();
	});

	it("PASV, then PORT: the passive timeout does not end the active upload that follows", async () => {
		server = await startServer({args: ["--passive-timeout", "1"]});
		const c = await RawClient.login(server.port);
		const listener = net.createServer();
		try {
			await c.command("TYPE I");
			expect((await c.command("PASV")).code).to.equal(227);
			await new Promise(resolve => listener.listen(0, "127.0.0.1", resolve));
			const port = listener.address().port;
			const connection = new Promise(resolve => listener.once("connection", resolve));
			expect((await c.command(`PORT 127,0,0,1,${port >> 8},${port & 255}`)).code).to.equal(200);
			expect((await c.command("STOR steady.bin")).code).to.equal(150);
			const data = await connection;
			data.on("error", () => {});
			// steady progress for longer than the passive timeout
			const bytes = randomBytes(25 * 1000);
			for (let i = 0; i < 25; i++) {
				data.write(bytes.subarray(i * 1000, (i + 1) * 1000));
				await sleep(100);
			}
			data.end();
			expect((await c.reply()).text).to.equal("226 Transfer complete.");
			expect((await c.command("SIZE steady.bin")).text).to.equal(`213 ${bytes.length}`);
		}
		finally {
			listener.close();
			c.close();
		}
	});
});

describe("stop: SIGINT and SIGTERM end the host within 2 s, with 421, while transfers are stuck", function () {
	this.timeout(120000);
	// the spec, not a measurement: a host told to stop must have exited when checked this late
	const STOP_DEADLINE_MS = 2000;
	let server;
	const clients = [];
	afterEach(async () => {
		for (const client of clients.splice(0))
			client.destroy();
		await server?.dispose();
		server = undefined;
	});

	/** Sends `signal`; resolves with the exit, or fails when the host still runs after the deadline. */
	async function stop(signal) {
		server.proc.kill(signal);
		const exit = await Promise.race([server.exited, sleep(STOP_DEADLINE_MS).then(() => undefined)]);
		expect(exit, `still running ${STOP_DEADLINE_MS} ms after ${signal}`).to.not.equal(undefined);
		return exit;
	}

	/** Every reply until the server closes the connection (the last one should be 421). */
	async function rest(client) {
		const replies = [];
		for (;;) {
			const reply = await client.reply(5000);
			if (reply.closed)
				return replies;
			replies.push(reply.code);
		}
	}

	async function login() {
		const client = await RawClient.login(server.port);
		clients.push(client.socket);
		await client.command("TYPE I");
		return client;
	}

	async function stor(client, name, bytes) {
		const data = await client.passive();
		expect((await client.command(`STOR ${name}`)).code).to.equal(150);
		data.end(bytes);
		expect((await client.reply()).code).to.equal(226);
	}

	it("SIGINT while a download's client stops reading", async () => {
		server = await startServer({args: ["--image-size", String(32 * 1024 * 1024)]});
		const c = await login();
		await stor(c, "big.bin", randomBytes(16 * 1024 * 1024));
		const data = await c.passive();
		clients.push(data);
		data.pause();		// reads nothing: the server's sends block once the buffers are full
		expect((await c.command("RETR big.bin")).code).to.equal(150);
		await sleep(300);
		expect(server.proc.exitCode).to.equal(null);
		const exit = await stop("SIGINT");
		expect(exit).to.deep.equal({code: 0, signal: null});
		expect(await rest(c)).to.deep.equal([421]);
	});

	it("SIGTERM while an upload's client stops sending: the old file stays whole", async () => {
		server = await startServer({args: ["--image-size", String(16 * 1024 * 1024)]});
		const c = await login();
		const old = randomBytes(100000);
		await stor(c, "kept.bin", old);
		const data = await c.passive();
		clients.push(data);
		expect((await c.command("STOR kept.bin")).code).to.equal(150);
		data.write(randomBytes(300000));		// part of a new version, then silence
		await sleep(300);
		const exit = await stop("SIGTERM");
		expect(exit).to.deep.equal({code: 0, signal: null});
		expect(await rest(c)).to.deep.equal([421]);

		// the same image again: the old version, and no unfinished upload left visible
		const {dir, image} = server;
		server = await startServer({dir, image});
		const again = await login();
		const listing = await again.passive();
		const names = readAll(listing);
		expect((await again.command("NLST")).code).to.equal(150);
		expect(String(await names).split("\r\n").filter(Boolean)).to.deep.equal(["kept.bin"]);
		expect((await again.reply()).code).to.equal(226);
		const back = await again.passive();
		const received = readAll(back);
		expect((await again.command("RETR kept.bin")).code).to.equal(150);
		expect(sha(await received)).to.equal(sha(old));
		expect((await again.reply()).code).to.equal(226);
	});

	it("SIGINT while a PASV holds the data channel and another session waits for it", async () => {
		server = await startServer();
		const holder = await login();
		expect((await holder.command("PASV")).code).to.equal(227);
		const waiter = await login();
		waiter.send("PASV");		// waits for the channel: no reply yet
		await sleep(300);
		const exit = await stop("SIGINT");
		expect(exit).to.deep.equal({code: 0, signal: null});
		expect(await rest(holder)).to.deep.equal([421]);
		expect(await rest(waiter)).to.deep.equal([421]);
		// the waiter is granted the channel once the holder has gone: nothing to fail there
		expect(server.stderr).to.not.match(/^ftpd: error: |<error>/m);
	});

	it("SIGTERM with sessions in every state at once, and a second signal while stopping", async () => {
		server = await startServer({args: ["--image-size", String(32 * 1024 * 1024)]});
		const reader = await login();
		await stor(reader, "big.bin", randomBytes(16 * 1024 * 1024));
		const download = await reader.passive();
		clients.push(download);
		download.pause();
		expect((await reader.command("RETR big.bin")).code).to.equal(150);
		const waiter = await login();
		waiter.send("PASV");
		const idle = await login();
		const notLoggedIn = await RawClient.connect(server.port);
		clients.push(notLoggedIn.socket);
		expect((await notLoggedIn.reply()).code).to.equal(220);
		await sleep(300);
		server.proc.kill("SIGTERM");
		server.proc.kill("SIGTERM");
		const exit = await stop("SIGTERM");
		// a repeated signal may cut the stop short (status 1), never leave the host running
		expect([0, 1]).to.include(exit.code);
		for (const client of [reader, waiter, idle, notLoggedIn])
			expect((await rest(client)).at(-1)).to.equal(421);
	});
});
