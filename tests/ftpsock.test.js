// ftpsock on the Linux host: the probe app (tests/xs/ftpsock) runs one scenario per process
// and Node plays the FTP client's side of the data connection over loopback.
import {expect} from "chai";
import {spawn} from "node:child_process";
import {createHash, randomBytes} from "node:crypto";
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import net from "node:net";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {buildHost, projectRoot} from "../scripts/sdk.js";

const MiB = 1024 * 1024;
const sizes = [0, 1, 1460, 65535, 65536, MiB + 1, 16 * MiB];
const sha256 = (data) => createHash("sha256").update(data).digest("hex");

let executable;
let work;

/** One probe process: its output as a queue of lines. */
class Probe {
	constructor(args, env = {}) {
		this.lines = [];
		this.waiters = [];
		this.stderr = "";
		this.process = spawn(executable, args, {env: {...process.env, ...env}, stdio: ["ignore", "pipe", "pipe"]});
		let pending = "";
		this.process.stdout.setEncoding("utf8");
		this.process.stdout.on("data", (text) => {
			pending += text;
			let end;
			while ((end = pending.indexOf("\n")) >= 0) {
				this.lines.push(pending.slice(0, end));
				pending = pending.slice(end + 1);
			}
			this.wake();
		});
		this.process.stderr.setEncoding("utf8");
		this.process.stderr.on("data", (text) => this.stderr += text);
		this.exited = new Promise((resolve) => this.process.on("exit", (code) => {
			this.closed = true;
			this.wake();
			resolve(code);
		}));
	}
	wake() {
		for (const waiter of this.waiters.splice(0))
			waiter();
	}
	/** The next line starting with `word` (lines before it are skipped). */
	async expect(word) {
		for (;;) {
			while (this.lines.length) {
				const line = this.lines.shift();
				if (line.split(" ")[0] === word)
					return line.split(" ").slice(1);
			}
			if (this.closed)
				throw new Error(`probe exited without ${word}; stderr: ${this.stderr}`);
			await new Promise((resolve) => this.waiters.push(resolve));
		}
	}
	/** The probe's outcome line, DONE or FAILED, then its exit. */
	async outcome() {
		for (;;) {
			while (this.lines.length) {
				const [word, ...rest] = this.lines.shift().split(" ");
				if ((word === "DONE") || (word === "FAILED")) {
					expect(await this.exited).to.equal(0);
					expect(this.stderr).to.not.match(/error|fatal/i);
					return (word === "DONE") ? {ok: true, result: Number(rest[0]), bytes: Number(rest[1]), ms: Number(rest[2]), sinceEnd: Number(rest[3])}
						: {ok: false, code: rest[0], bytes: Number(rest[1]), ms: Number(rest[2]), sinceEnd: Number(rest[3])};
				}
			}
			if (this.closed)
				throw new Error(`probe exited without an outcome; stderr: ${this.stderr}`);
			await new Promise((resolve) => this.waiters.push(resolve));
		}
	}
	kill() {
		if (!this.closed)
			this.process.kill();
	}
}

const probes = [];
function probe(args, env) {
	const it = new Probe(args, env);
	probes.push(it);
	return it;
}

/** Connects, reads to the end; resolves with what came and how the socket ended. */
function fetchAll(port, {localAddress} = {}) {
	return new Promise((resolve) => {
		const chunks = [];
		let error;
		const started = process.hrtime.bigint();
		const socket = net.connect({port, host: "127.0.0.1", localAddress});
		socket.on("data", (chunk) => chunks.push(chunk));
		socket.on("error", (e) => error = e.code);
		socket.on("close", () => resolve({data: Buffer.concat(chunks), error, ms: Number(process.hrtime.bigint() - started) / 1e6}));
	});
}

/** The end a client may see when the probe gives up on it: a reset, nothing else. */
function allowReset(socket) {
	socket.on("error", (e) => expect(e.code).to.be.oneOf(["ECONNRESET", "EPIPE"]));
	return socket;
}

/** Connects and never reads: the sender's socket buffer fills, then nothing moves. */
function stall(port) {
	const socket = allowReset(net.connect({port, host: "127.0.0.1"}));
	socket.pause();
	return socket;
}

/** Connects and writes `data`, then FIN; resolves once the socket closed. */
function push(port, data) {
	return new Promise((resolve, reject) => {
		const socket = net.connect({port, host: "127.0.0.1"}, () => socket.end(data));
		socket.on("error", reject);
		socket.on("close", resolve);
	});
}

/** A port nothing listens on (bound, read, released). */
async function freePort() {
	const server = net.createServer();
	await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
	const {port} = server.address();
	await new Promise((resolve) => server.close(resolve));
	return port;
}

function writeRoot(name, data) {
	writeFileSync(join(work, "root", name), data);
}

function megabytesPerSecond(bytes, ms) {
	return (bytes / 1e6 / (ms / 1000)).toFixed(0);
}

describe("ftpsock", function () {
	before(function () {
		this.timeout(300000);
		// from scratch: make does not notice when an included manifest maps a module elsewhere
		rmSync(join(projectRoot, "build", "ftpsock-probe"), {recursive: true, force: true});
		executable = buildHost({manifest: join(projectRoot, "tests", "xs", "ftpsock", "manifest.json"), name: "ftpsock-probe", quiet: true});
		work = mkdtempSync(join(tmpdir(), "ftpsock-"));
		mkdirSync(join(work, "root"));	// the POSIX volume's folder
	});

	after(() => {
		if (work)
			rmSync(work, {recursive: true, force: true});
	});

	afterEach(() => {
		for (const it of probes.splice(0))
			it.kill();
	});

	const root = () => join(work, "root");

	describe("passive sendFile (POSIX volume: sendfile)", function () {
		for (const size of sizes) {
			it(`sends ${size} bytes`, async function () {
				const data = randomBytes(size);
				writeRoot(`send-${size}`, data);
				const p = probe([`root=${root()}`, "op=sendFile", `path=/send-${size}`]);
				const [port] = await p.expect("LISTENING");
				const got = await fetchAll(Number(port));
				const outcome = await p.outcome();
				expect(got.error).to.equal(undefined);
				expect(got.data.length).to.equal(size);
				expect(sha256(got.data)).to.equal(sha256(data));
				expect(outcome).to.include({ok: true, result: size, bytes: size, sinceEnd: -1});
				if (size === 16 * MiB)
					console.log(`      throughput: sendFile 16 MiB ${megabytesPerSecond(size, got.ms)} MB/s (client side, connect to EOF)`);
			});
		}

		it("sends from an offset (REST)", async function () {
			const data = randomBytes(100000);
			writeRoot("offset", data);
			const p = probe([`root=${root()}`, "op=sendFile", "path=/offset", "offset=12345"]);
			const [port] = await p.expect("LISTENING");
			const got = await fetchAll(Number(port));
			expect(sha256(got.data)).to.equal(sha256(data.subarray(12345)));
			expect(await p.outcome()).to.include({ok: true, result: 100000 - 12345});
			// settled: abort() interrupts nothing and says so
			expect(await p.expect("ABORT_IDLE")).to.deep.equal(["false"]);
		});

		it("rejects a missing file with ENOENT", async function () {
			const p = probe([`root=${root()}`, "op=sendFile", "path=/missing"]);
			const [port] = await p.expect("LISTENING");
			const got = await fetchAll(Number(port));
			expect(got.data.length).to.equal(0);
			expect(await p.outcome()).to.include({ok: false, code: "ENOENT"});
		});
	});

	describe("passive receiveFile", function () {
		for (const size of sizes) {
			it(`receives ${size} bytes`, async function () {
				const data = randomBytes(size);
				const p = probe([`root=${root()}`, "op=receiveFile", `path=/recv-${size}`]);
				const [port] = await p.expect("LISTENING");
				const started = process.hrtime.bigint();
				await push(Number(port), data);
				const outcome = await p.outcome();
				const ms = Number(process.hrtime.bigint() - started) / 1e6;
				expect(outcome).to.include({ok: true, result: size, bytes: size});
				// the client's FIN ended it: its time is known (tcppeer's grace is timed from it),
				// within the transfer the probe timed
				expect(outcome.sinceEnd).to.be.at.least(0);
				expect(outcome.sinceEnd).to.be.at.most((outcome.ms + 1) * 1000);
				expect(sha256(readFileSync(join(root(), `recv-${size}`)))).to.equal(sha256(data));
				if (size === 16 * MiB)
					console.log(`      throughput: receiveFile 16 MiB ${megabytesPerSecond(size, ms)} MB/s (client connect to file closed; probe's own count ${megabytesPerSecond(size, outcome.ms)} MB/s)`);
			});
		}

		it("appends with mode a", async function () {
			const old = randomBytes(5000), data = randomBytes(7000);
			writeRoot("append", old);
			const p = probe([`root=${root()}`, "op=receiveFile", "path=/append", "mode=a"]);
			const [port] = await p.expect("LISTENING");
			await push(Number(port), data);
			expect(await p.outcome()).to.include({ok: true, result: 7000});
			expect(sha256(readFileSync(join(root(), "append")))).to.equal(sha256(Buffer.concat([old, data])));
		});

		it("resumes a w at an offset (REST)", async function () {
			const old = randomBytes(5000), data = randomBytes(7000);
			writeRoot("resume", old);
			const p = probe([`root=${root()}`, "op=receiveFile", "path=/resume", "mode=w", "offset=5000"]);
			const [port] = await p.expect("LISTENING");
			await push(Number(port), data);
			expect(await p.outcome()).to.include({ok: true, result: 7000});
			expect(sha256(readFileSync(join(root(), "resume")))).to.equal(sha256(Buffer.concat([old, data])));
		});

		it("truncates with mode w", async function () {
			writeRoot("truncate", randomBytes(9000));
			const data = randomBytes(100);
			const p = probe([`root=${root()}`, "op=receiveFile", "path=/truncate", "mode=w"]);
			const [port] = await p.expect("LISTENING");
			await push(Number(port), data);
			expect(await p.outcome()).to.include({ok: true, result: 100});
			expect(sha256(readFileSync(join(root(), "truncate")))).to.equal(sha256(data));
		});
	});

	describe("FileSource: a file opened before its transfer, which sendFile takes over", function () {
		it("sends a FileSource whole, then its taken handle tells and sends nothing (folder)", async function () {
			const data = randomBytes(200000);
			writeRoot("source", data);
			const p = probe([`root=${root()}`, "op=sendSource", "path=/source"]);
			expect(await p.expect("SOURCE")).to.deep.equal(["200000"]);
			const [port] = await p.expect("LISTENING");
			const got = await fetchAll(Number(port));
			const [size, again] = await p.expect("TAKEN");
			expect([size, again]).to.deep.equal(["closed", "closed"]);
			expect(sha256(got.data)).to.equal(sha256(data));
			expect(await p.outcome()).to.include({ok: true, result: 200000, bytes: 200000});
		});

		it("sends a FileSource from an offset (REST), at its end nothing", async function () {
			const data = randomBytes(100000);
			writeRoot("source-offset", data);
			for (const offset of [12345, 100000]) {
				const p = probe([`root=${root()}`, "op=sendSource", "path=/source-offset", `offset=${offset}`]);
				expect(await p.expect("SOURCE")).to.deep.equal(["100000"]);
				const [port] = await p.expect("LISTENING");
				const got = await fetchAll(Number(port));
				expect(sha256(got.data)).to.equal(sha256(data.subarray(offset)));
				expect(await p.outcome()).to.include({ok: true, result: 100000 - offset});
			}
		});

		it("refuses a missing file (ENOENT) and a folder (EISDIR); close and the collector give every descriptor back (folder)", async function () {
			writeRoot("sources", randomBytes(1000));
			let p = probe([`root=${root()}`, "op=sendSource", "path=/missing"]);
			expect(await p.expect("SOURCE_FAILED")).to.deep.equal(["ENOENT"]);
			p = probe([`root=${root()}`, "op=sources", "path=/sources"]);
			const [size, missing, folder, closedSize, before, during, closed, collected] = await p.expect("SOURCES");
			expect([size, missing, folder, closedSize]).to.deep.equal(["1000", "ENOENT", "EISDIR", "closed"]);
			expect(Number(during)).to.equal(Number(before) + 20);
			expect(Number(closed)).to.equal(Number(before));
			expect(Number(collected)).to.equal(Number(before));
		});

		it("on the LittleFS image: sends a FileSource whole and from an offset, refuses a missing file and the root", async function () {
			const image = join(work, "source.lfs");
			const data = randomBytes(300000);
			const receiver = probe([`image=${image}`, `size=${4 * MiB}`, "op=receiveFile", "path=/f"]);
			const [inPort] = await receiver.expect("LISTENING");
			await push(Number(inPort), data);
			expect(await receiver.outcome()).to.include({ok: true, result: data.length});
			for (const offset of [0, 70000]) {
				const sender = probe([`image=${image}`, `size=${4 * MiB}`, "op=sendSource", "path=/f", `offset=${offset}`]);
				expect(await sender.expect("SOURCE")).to.deep.equal([String(data.length)]);
				const [outPort] = await sender.expect("LISTENING");
				const got = await fetchAll(Number(outPort));
				expect(await sender.expect("TAKEN")).to.include("closed");
				expect(await sender.outcome()).to.include({ok: true, result: data.length - offset});
				expect(sha256(got.data)).to.equal(sha256(data.subarray(offset)));
			}
			const p = probe([`image=${image}`, `size=${4 * MiB}`, "op=sources", "path=/f"]);
			const [size, missing, folder, closedSize] = await p.expect("SOURCES");
			expect([size, missing, folder, closedSize]).to.deep.equal([String(data.length), "ENOENT", "EISDIR", "closed"]);
		});
	});

	describe("LittleFS image volume (buffered path)", function () {
		const image = () => join(work, "volume.lfs");
		const imageSize = String(40 * MiB);
		for (const size of sizes) {
			it(`receives then sends back ${size} bytes`, async function () {
				const data = randomBytes(size);
				const receiver = probe([`image=${image()}`, `size=${imageSize}`, "op=receiveFile", `path=/f-${size}`]);
				const [inPort] = await receiver.expect("LISTENING");
				await push(Number(inPort), data);
				expect(await receiver.outcome()).to.include({ok: true, result: size});

				const sender = probe([`image=${image()}`, `size=${imageSize}`, "op=sendFile", `path=/f-${size}`]);
				const [outPort] = await sender.expect("LISTENING");
				const got = await fetchAll(Number(outPort));
				expect(await sender.outcome()).to.include({ok: true, result: size});
				expect(sha256(got.data)).to.equal(sha256(data));
				if (size === 16 * MiB)
					console.log(`      throughput: LittleFS image sendFile 16 MiB ${megabytesPerSecond(size, got.ms)} MB/s`);
			});
		}

		it("rejects with ENOSPC when the volume fills, after closing the file", async function () {
			const small = join(work, "small.lfs");
			const p = probe([`image=${small}`, `size=${64 * 1024}`, "op=receiveFile", "path=/big"]);
			const [port] = await p.expect("LISTENING");
			// the probe stops reading and closes: the client's writes end in a reset
			const pushed = push(Number(port), randomBytes(MiB)).then(() => undefined, (e) => e.code);
			const outcome = await p.outcome();
			expect(await pushed).to.be.oneOf([undefined, "ECONNRESET", "EPIPE"]);
			expect(outcome).to.include({ok: false, code: "ENOSPC"});
			expect(outcome.bytes).to.be.below(64 * 1024);
		});
	});

	describe("send", function () {
		it("sends a string (a listing)", async function () {
			const text = "-rw-r--r-- 1 owner group 5 Jan 01 00:00 a.txt\r\n";
			const p = probe(["op=send", `text=${text}`]);
			const [port] = await p.expect("LISTENING");
			const got = await fetchAll(Number(port));
			expect(got.data.toString("utf8")).to.equal(text);
			expect(await p.outcome()).to.include({ok: true, bytes: Buffer.byteLength(text)});
		});

		it("sends an ArrayBuffer larger than the socket buffer", async function () {
			const size = 3 * MiB;
			const p = probe(["op=send", `bytes=${size}`]);
			const [port] = await p.expect("LISTENING");
			const got = await fetchAll(Number(port));
			const expected = Buffer.alloc(size);
			for (let i = 0; i < size; i++)
				expected[i] = i & 255;
			expect(got.data.equals(expected)).to.equal(true);
			expect(await p.outcome()).to.include({ok: true, bytes: size});
		});

		it("refuses a second operation while one is pending", async function () {
			const p = probe(["op=send", "text=a", "busy=1"]);
			const [port] = await p.expect("LISTENING");
			const got = await fetchAll(Number(port));
			expect(await p.expect("BUSY")).to.deep.equal(["busy"]);
			expect(got.data.toString()).to.equal("ax");
		});
	});

	describe("active mode", function () {
		async function serve(handler) {
			const server = net.createServer(handler);
			await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
			return server;
		}

		it("connects and sends a file", async function () {
			const data = randomBytes(MiB + 1);
			writeRoot("active", data);
			let received;
			const server = await serve((socket) => {
				const chunks = [];
				socket.on("data", (chunk) => chunks.push(chunk));
				socket.on("end", () => received = Buffer.concat(chunks));
			});
			const {port} = server.address();
			const p = probe([`root=${root()}`, `connect=127.0.0.1:${port}`, "op=sendFile", "path=/active"]);
			expect(await p.expect("CONNECTED")).to.deep.equal(["127.0.0.1", String(port)]);
			expect(await p.outcome()).to.include({ok: true, result: MiB + 1});
			server.close();
			await new Promise((resolve) => setTimeout(resolve, 100));
			expect(sha256(received)).to.equal(sha256(data));
		});

		it("connects and receives a file", async function () {
			const data = randomBytes(65536);
			const server = await serve((socket) => socket.end(data));
			const {port} = server.address();
			const p = probe([`root=${root()}`, `connect=127.0.0.1:${port}`, "op=receiveFile", "path=/active-in"]);
			expect(await p.outcome()).to.include({ok: true, result: 65536});
			server.close();
			expect(sha256(readFileSync(join(root(), "active-in")))).to.equal(sha256(data));
		});

		it("reports EREFUSED when nothing listens", async function () {
			const port = await freePort();
			const p = probe([`root=${root()}`, `connect=127.0.0.1:${port}`, "op=sendFile", "path=/active"]);
			expect(await p.expect("CONNECT_FAILED")).to.deep.equal(["EREFUSED"]);
			expect(await p.exited).to.equal(0);
		});
	});

	describe("listener", function () {
		it("closes a connection from another address and still serves the peer", async function () {
			const data = randomBytes(100000);
			writeRoot("peer", data);
			const p = probe([`root=${root()}`, "op=sendFile", "path=/peer", "peer=127.0.0.1"]);
			const [port] = await p.expect("LISTENING");
			const thief = await fetchAll(Number(port), {localAddress: "127.0.0.2"});
			expect(thief.data.length).to.equal(0);
			const got = await fetchAll(Number(port));
			expect(sha256(got.data)).to.equal(sha256(data));
			expect(await p.outcome()).to.include({ok: true, result: 100000});
			expect(p.lines.join("\n")).to.not.include("127.0.0.2");
		});

		it("takes the first free port of a range", async function () {
			const blocker = net.createServer();
			await new Promise((resolve) => blocker.listen(0, "127.0.0.1", resolve));
			const taken = blocker.address().port;
			try {
				const p = probe([`root=${root()}`, "op=send", "text=range", `portMin=${taken}`, `portMax=${taken + 20}`]);
				const [port] = await p.expect("LISTENING");
				expect(Number(port)).to.be.above(taken).and.at.most(taken + 20);
				const got = await fetchAll(Number(port));
				expect(got.data.toString()).to.equal("range");
				await p.outcome();

				const full = probe([`root=${root()}`, "op=send", "text=range", `portMin=${taken}`, `portMax=${taken}`]);
				expect(await full.expect("LISTEN_FAILED")).to.deep.equal(["EADDRINUSE"]);
			}
			finally {
				blocker.close();
			}
		});

		it("gives every descriptor back when owners drop listeners and connections", async function () {
			const p = probe(["op=leak"]);
			const [, before, during, after] = await p.expect("FDS");
			expect(Number(during)).to.equal(Number(before) + 20);
			expect(after).to.equal(before);
			const [port] = await p.expect("LISTENING");
			const socket = allowReset(net.connect({port: Number(port), host: "127.0.0.1"}));
			const [label, before2, during2, after2] = await p.expect("FDS");
			expect(label).to.equal("connection");
			expect(Number(during2)).to.equal(Number(before2) + 1);	// the connection
			expect(after2).to.equal(before2);
			socket.destroy();
		});

		it("localAddressFor gives the loopback address for a loopback peer", async function () {
			const p = probe(["op=local", "remote=127.0.0.1"]);
			expect(await p.expect("LOCAL")).to.deep.equal(["127.0.0.1"]);
		});
	});

	describe("failures", function () {
		it("abort() mid-send rejects with EABORTED", async function () {
			writeRoot("abort", randomBytes(16 * MiB));
			const p = probe([`root=${root()}`, "op=sendFile", "path=/abort", "abortAfter=300"]);
			const [port] = await p.expect("LISTENING");
			const socket = stall(Number(port));
			// pending: abort() says it interrupted it
			expect(await p.expect("ABORT")).to.deep.equal(["true"]);
			const outcome = await p.outcome();
			socket.destroy();
			expect(outcome).to.include({ok: false, code: "EABORTED"});
			expect(outcome.bytes).to.be.above(0).and.below(16 * MiB);
			expect(await p.expect("ABORT_IDLE")).to.deep.equal(["false"]);
		});

		it("abort() mid-receive rejects with EABORTED and closes the file", async function () {
			const p = probe([`root=${root()}`, "op=receiveFile", "path=/aborted-in", "abortAfter=300"]);
			const [port] = await p.expect("LISTENING");
			const socket = allowReset(net.connect({port: Number(port), host: "127.0.0.1"}, () => socket.write(randomBytes(1000))));
			const outcome = await p.outcome();
			socket.destroy();
			// no FIN ended it: no time of one
			expect(outcome).to.include({ok: false, code: "EABORTED", bytes: 1000, sinceEnd: -1});
			expect(readFileSync(join(root(), "aborted-in")).length).to.equal(1000);
		});

		it("a client that resets mid-send rejects with ECONNRESET", async function () {
			writeRoot("reset", randomBytes(16 * MiB));
			const p = probe([`root=${root()}`, "op=sendFile", "path=/reset"]);
			const [port] = await p.expect("LISTENING");
			const socket = allowReset(net.connect({port: Number(port), host: "127.0.0.1"}));
			socket.once("data", () => socket.resetAndDestroy());
			expect(await p.outcome()).to.include({ok: false, code: "ECONNRESET"});
		});

		it("a client that closes early mid-send rejects with ECONNRESET", async function () {
			writeRoot("close", randomBytes(16 * MiB));
			const p = probe([`root=${root()}`, "op=sendFile", "path=/close"]);
			const [port] = await p.expect("LISTENING");
			const socket = allowReset(net.connect({port: Number(port), host: "127.0.0.1"}));
			socket.once("data", () => socket.destroy());
			const outcome = await p.outcome();
			expect(outcome).to.include({ok: false, code: "ECONNRESET"});
			expect(outcome.bytes).to.be.below(16 * MiB);
		});

		it("a reader that stalls longer than idleTimeout rejects with ETIMEDOUT", async function () {
			writeRoot("stall", randomBytes(16 * MiB));
			const p = probe([`root=${root()}`, "op=sendFile", "path=/stall", "idle=400"]);
			const [port] = await p.expect("LISTENING");
			const socket = stall(Number(port));
			const outcome = await p.outcome();
			socket.destroy();
			expect(outcome).to.include({ok: false, code: "ETIMEDOUT"});
			expect(outcome.ms).to.be.at.least(400);
		});

		it("a sender that stalls longer than idleTimeout rejects with ETIMEDOUT", async function () {
			const p = probe([`root=${root()}`, "op=receiveFile", "path=/stall-in", "idle=400"]);
			const [port] = await p.expect("LISTENING");
			const socket = allowReset(net.connect({port: Number(port), host: "127.0.0.1"}, () => socket.write("partial")));
			const outcome = await p.outcome();
			socket.destroy();
			expect(outcome).to.include({ok: false, code: "ETIMEDOUT", bytes: 7});
		});

		it("a slow but steady reader is not timed out", async function () {
			writeRoot("slow", randomBytes(16 * MiB));
			const p = probe([`root=${root()}`, "op=sendFile", "path=/slow", "idle=500"]);
			const [port] = await p.expect("LISTENING");
			const chunks = [];
			const socket = stall(Number(port));
			let burst = 0, draining = false;
			socket.on("data", (chunk) => {
				chunks.push(chunk);
				burst += chunk.length;
				if ((burst >= MiB) && !draining)
					socket.pause();
			});
			const ended = new Promise((resolve) => socket.on("end", resolve));
			// 1 MiB every 100 ms. The sender's socket is writable again only once about a third of
			// its (autotuned, MiBs) buffer drained, so it waits ~200 ms at a time: less than its
			// idle timeout, several times over.
			const timer = setInterval(() => {
				burst = 0;
				socket.resume();
			}, 100);
			const outcome = await p.outcome();
			clearInterval(timer);
			draining = true;
			socket.resume();
			await ended;
			expect(outcome).to.include({ok: true, result: 16 * MiB});
			expect(outcome.ms).to.be.above(500);
			expect(Buffer.concat(chunks).length).to.equal(16 * MiB);
		});

		it("a slow but steady sender is not timed out", async function () {
			const p = probe([`root=${root()}`, "op=receiveFile", "path=/slow-in", "idle=300"]);
			const [port] = await p.expect("LISTENING");
			const socket = net.connect({port: Number(port), host: "127.0.0.1"});
			for (let i = 0; i < 8; i++) {
				socket.write(Buffer.alloc(1000, i));
				await new Promise((resolve) => setTimeout(resolve, 150));
			}
			socket.end();
			const outcome = await p.outcome();
			expect(outcome).to.include({ok: true, result: 8000});
			expect(outcome.ms).to.be.above(1000);
		});
	});
});
