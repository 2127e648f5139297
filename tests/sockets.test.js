/*
 * The Linux host's embedded:io/socket/tcp and embedded:io/socket/listener (hosts/lin/sockets),
 * driven from Node through the probe app in tests/xs/sockets. The last block builds the same
 * probe with the SDK's polling Linux modules and reports both speeds side by side.
 */
import {expect} from "chai";
import {spawn} from "node:child_process";
import {createHash, randomBytes} from "node:crypto";
import {once} from "node:events";
import {readdirSync} from "node:fs";
import net from "node:net";
import {join} from "node:path";
import {buildHost, projectRoot} from "../scripts/sdk.js";

const probeManifest = join(projectRoot, "tests", "xs", "sockets", "manifest.json");
const sdkProbeManifest = join(projectRoot, "tests", "xs", "sockets", "sdk", "manifest.json");
const host = "127.0.0.1";

/** Open file descriptors of a process. */
const descriptors = pid => readdirSync(`/proc/${pid}/fd`).length;

/** Open file descriptors of a process, once back to `baseline` or after 5 s. */
async function settled(pid, baseline) {
	for (let tries = 0; (descriptors(pid) !== baseline) && (tries < 50); tries++)
		await new Promise(resolve => setTimeout(resolve, 100));
	return descriptors(pid);
}

const sha256 = data => createHash("sha256").update(data).digest("hex");
const median = values => [...values].sort((a, b) => a - b)[values.length >> 1];

/** One running probe: its stdout lines, its stderr, its exit. */
class Probe {
	constructor(binary, args) {
		this.lines = [];
		this.stderr = "";
		this.waiters = [];
		this.child = spawn(binary, args, {stdio: ["ignore", "pipe", "pipe"]});
		this.exited = once(this.child, "exit").then(([code, signal]) => ({code, signal}));
		let partial = "";
		this.child.stdout.setEncoding("utf8").on("data", text => {
			const lines = (partial + text).split("\n");
			partial = lines.pop();
			for (const line of lines) {
				this.lines.push(line);
				this.waiters = this.waiters.filter(waiter => !waiter(line));
			}
		});
		this.child.stderr.setEncoding("utf8").on("data", text => this.stderr += text);
	}

	static async listen(binary, ...args) {
		const probe = new Probe(binary, args);
		const ready = await probe.line(/^ready (\d+)$/);
		probe.port = Number(ready[1]);
		return probe;
	}

	/** The first line (already printed or to come) matching `pattern`. */
	line(pattern, timeout = 10000) {
		const found = this.lines.find(line => pattern.test(line));
		if (found)
			return Promise.resolve(found.match(pattern));
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`no line ${pattern} in ${timeout} ms; stdout: ${JSON.stringify(this.lines)}, stderr: ${JSON.stringify(this.stderr)}`)), timeout);
			const waiter = line => {
				if (!pattern.test(line))
					return false;
				clearTimeout(timer);
				resolve(line.match(pattern));
				return true;
			};
			this.waiters.push(waiter);
			this.exited.then(() => {
				clearTimeout(timer);
				reject(new Error(`probe exited before ${pattern}; stdout: ${JSON.stringify(this.lines)}, stderr: ${JSON.stringify(this.stderr)}`));
			});
		});
	}

	/** Waits until `count` lines match `pattern`. */
	async count(pattern, count, timeout = 10000) {
		const deadline = Date.now() + timeout;
		while (this.lines.filter(line => pattern.test(line)).length < count) {
			if (Date.now() > deadline)
				throw new Error(`fewer than ${count} lines ${pattern} in ${timeout} ms; stdout: ${JSON.stringify(this.lines)}`);
			await new Promise(resolve => setTimeout(resolve, 20));
		}
	}

	/** Stops the probe (SIGTERM leaves its main loop); fails when it crashed or reported an exception. */
	async stop() {
		if (null === this.child.exitCode && null === this.child.signalCode)
			this.child.kill("SIGTERM");
		const {code, signal} = await this.exited;
		expect(this.stderr, "probe stderr").to.equal("");
		expect({code, signal}, "probe exit").to.deep.equal({code: 0, signal: null});
	}
}

function connect(port) {
	return new Promise((resolve, reject) => {
		const socket = net.connect({port, host, noDelay: true}, () => resolve(socket));
		socket.once("error", reject);
	});
}

/** Sends `data`, resolves with what comes back once `data.length` bytes did (or the peer ended). */
async function echoOnce(port, data) {
	const socket = await connect(port);
	const chunks = [];
	let received = 0;
	const started = process.hrtime.bigint();
	const done = new Promise((resolve, reject) => {
		socket.on("data", chunk => {
			chunks.push(chunk);
			received += chunk.length;
			if (received >= data.length)
				resolve();
		});
		socket.on("end", resolve);
		socket.on("error", reject);
	});
	socket.write(data);
	await done;
	const ms = Number(process.hrtime.bigint() - started) / 1e6;
	socket.end();
	return {data: Buffer.concat(chunks), ms};
}

/** Everything the probe sends on one connection until it closes it. */
async function receiveAll(port) {
	const socket = await connect(port);
	const chunks = [];
	socket.on("data", chunk => chunks.push(chunk));
	await once(socket, "end");
	socket.end();
	return Buffer.concat(chunks);
}

/** Round trips of 1 byte on one connection; resolves with their durations in ms. */
async function roundTrips(port, count) {
	const socket = await connect(port);
	const times = [];
	for (let i = 0; i < count; i++) {
		const started = process.hrtime.bigint();
		const reply = once(socket, "data");
		socket.write(Buffer.of(i & 255));
		const [chunk] = await reply;
		expect(chunk.length).to.equal(1);
		times.push(Number(process.hrtime.bigint() - started) / 1e6);
	}
	socket.end();
	return times;
}

let probe;		// the path of the probe built with hosts/lin/sockets
let sdkProbe;	// the same probe built with the SDK's Linux modules

before(function () {
	this.timeout(180000);
	probe = buildHost({manifest: probeManifest, name: "sockets-probe", quiet: true});
	sdkProbe = buildHost({manifest: sdkProbeManifest, name: "sockets-probe-sdk", quiet: true});
});

describe("Linux TCP sockets (hosts/lin/sockets)", function () {
	let running;

	afterEach(async function () {
		const it = running;
		running = undefined;
		if (it && (this.currentTest.state === "passed"))
			await it.stop();
		else if (it)
			it.child.kill("SIGKILL");
	});

	it("echoes 1 byte", async function () {
		running = await Probe.listen(probe, "echo");
		const {data} = await echoOnce(running.port, Buffer.of(42));
		expect([...data]).to.deep.equal([42]);
		await running.line(/^error 1 1$/);
	});

	for (const mode of ["echo", "pipe"]) {
		it(`echoes 1 MiB without losing a byte (${mode}: ${("pipe" === mode) ? "reads only what it can write" : "reads all"})`, async function () {
			running = await Probe.listen(probe, mode);
			const sent = randomBytes(1 << 20);
			const {data, ms} = await echoOnce(running.port, sent);
			expect(data.length).to.equal(sent.length);
			expect(sha256(data)).to.equal(sha256(sent));
			console.log(`      1 MiB echo (${mode}): ${ms.toFixed(1)} ms, ${(2 / (ms / 1000)).toFixed(1)} MiB/s both ways`);
			await running.line(new RegExp(`^error 1 ${1 << 20}$`));
		});
	}

	it("reads and writes single bytes with format \"number\"", async function () {
		running = await Probe.listen(probe, "number");
		const sent = randomBytes(20000);
		const {data} = await echoOnce(running.port, sent);
		expect(data.equals(Buffer.from(sent.map(byte => (byte + 1) & 255)))).to.equal(true);
	});

	it("serves 50 concurrent connections", async function () {
		running = await Probe.listen(probe, "echo");
		const payloads = Array.from({length: 50}, () => randomBytes(64 * 1024));
		const results = await Promise.all(payloads.map(payload => echoOnce(running.port, payload)));
		results.forEach(({data}, i) => expect(sha256(data), `connection ${i}`).to.equal(sha256(payloads[i])));
		for (let id = 1; id <= 50; id++)
			await running.line(new RegExp(`^error ${id} ${64 * 1024}$`));
	});

	it("flushes queued output on close(), then ends the connection", async function () {
		const size = 4 * 1024 * 1024 + 123;
		running = await Probe.listen(probe, "blast", String(size));
		const data = await receiveAll(running.port);
		expect(data.length).to.equal(size);
		for (let i = 0; i < size; i++) {
			if (data[i] !== (i & 255))
				expect.fail(`byte ${i} is ${data[i]}`);
		}
	});

	it("flushes on close() what is still queued behind a full kernel buffer, once the peer reads", async function () {
		running = await Probe.listen(probe, "flood", "200");
		const baseline = descriptors(running.child.pid);
		const socket = await connect(running.port);
		socket.pause();		// the kernel's buffers fill, then the probe's queue
		const [, written] = await running.line(/^closed (\d+)$/);
		expect(descriptors(running.child.pid), "closing, still flushing").to.equal(baseline + 1);
		const chunks = [];
		socket.on("data", chunk => chunks.push(chunk));
		socket.resume();
		await once(socket, "end");
		const data = Buffer.concat(chunks);
		expect(data.length).to.equal(Number(written));
		expect(await settled(running.child.pid, baseline), "closed").to.equal(baseline);
		for (let i = 0; i < data.length; i++) {
			if (data[i] !== (i & 255))
				expect.fail(`byte ${i} is ${data[i]}`);
		}
	});

	it("reports localAddress, localPort, remoteAddress, remotePort", async function () {
		running = await Probe.listen(probe, "info");
		const socket = await connect(running.port);
		const chunks = [];
		socket.on("data", chunk => chunks.push(chunk));
		await once(socket, "end");
		socket.end();
		expect(Buffer.concat(chunks).toString()).to.equal(`${host} ${running.port} ${host} ${socket.localPort}\n`);
	});

	describe("peer closing mid-stream", function () {
		it("reset while both directions are busy: onError, and the probe keeps serving", async function () {
			running = await Probe.listen(probe, "echo");
			const socket = await connect(running.port);
			let received = 0;
			const reset = new Promise(resolve => socket.on("data", chunk => {
				received += chunk.length;
				if (received > 100000) {
					socket.resetAndDestroy();
					resolve();
				}
			}));
			socket.on("error", () => {});
			socket.write(randomBytes(4 << 20));
			await reset;
			await running.line(/^error 1 \d+$/);
			const {data} = await echoOnce(running.port, Buffer.from("still here"));
			expect(data.toString()).to.equal("still here");
		});

		it("FIN after sending, never reading: onError, and the probe keeps serving", async function () {
			running = await Probe.listen(probe, "echo");
			const socket = await connect(running.port);
			socket.on("error", () => {});
			socket.write(randomBytes(1 << 20), () => socket.destroy());
			await running.line(/^error 1 \d+$/);
			const {data} = await echoOnce(running.port, Buffer.from("still here"));
			expect(data.toString()).to.equal("still here");
		});

		it("half-close: every byte sent before FIN is still echoed, then onError", async function () {
			running = await Probe.listen(probe, "pipe");
			const socket = await connect(running.port);
			const sent = randomBytes(1 << 20);
			const chunks = [];
			socket.on("data", chunk => chunks.push(chunk));
			socket.end(sent);
			await once(socket, "end");
			expect(sha256(Buffer.concat(chunks))).to.equal(sha256(sent));
			await running.line(new RegExp(`^error 1 ${1 << 20}$`));
		});

		it("writes to a reset peer do not crash (lazy reader, both directions full)", async function () {
			running = await Probe.listen(probe, "pipe");
			const socket = await connect(running.port);
			socket.on("error", () => {});
			socket.pause();		// never read: the probe's output and input fill up
			socket.write(randomBytes(8 << 20));
			await new Promise(resolve => setTimeout(resolve, 300));
			socket.resetAndDestroy();
			await new Promise(resolve => setTimeout(resolve, 300));
			const {data} = await echoOnce(running.port, Buffer.from("still here"));
			expect(data.toString()).to.equal("still here");
		});
	});

	describe("connecting out", function () {
		it("connects, announces its addresses, echoes, and reports the peer's close", async function () {
			const server = net.createServer();
			server.listen(0, host);
			await once(server, "listening");
			const accepted = once(server, "connection");
			running = new Probe(probe, ["connect", String(server.address().port)]);
			const [socket] = await accepted;
			socket.setNoDelay(true);
			let text = "";
			socket.setEncoding("utf8").on("data", chunk => text += chunk);
			while (!text.includes("\n"))
				await once(socket, "data");
			expect(text).to.equal(`${host} ${socket.remotePort} ${host} ${server.address().port}\n`);
			socket.write("ping");
			while (!text.endsWith("ping"))
				await once(socket, "data");
			socket.end();
			await running.line(/^error \d+$/);
			expect((await running.exited).code).to.equal(0);
			server.close();
		});

		it("reports a refused connection through onError", async function () {
			const server = net.createServer();
			server.listen(0, host);
			await once(server, "listening");
			const port = server.address().port;
			server.close();
			await once(server, "close");
			running = new Probe(probe, ["connect", String(port)]);
			await running.line(/^error 0$/);
			expect((await running.exited).code).to.equal(0);
		});
	});

	it("leaves no file descriptor behind (300 echoes, 100 peers gone mid-transfer, 3 gone while close() flushes)", async function () {
		running = await Probe.listen(probe, "echo");
		const before = descriptors(running.child.pid);
		for (let i = 0; i < 300; i++)
			await echoOnce(running.port, randomBytes(1000));
		for (let id = 1; id <= 300; id++)
			await running.line(new RegExp(`^error ${id} 1000$`));
		expect(await settled(running.child.pid, before), "echo").to.equal(before);

		// the peer goes away mid-transfer: onError, then close()
		const blaster = await Probe.listen(probe, "blast", String(16 << 20));
		try {
			const baseline = descriptors(blaster.child.pid);
			for (let i = 0; i < 100; i++) {
				const socket = await connect(blaster.port);
				await once(socket, "data");
				socket.resetAndDestroy();
			}
			expect(await settled(blaster.child.pid, baseline), "blast").to.equal(baseline);
		}
		finally {
			await blaster.stop();
		}

		// the peer goes away after close() was called with output still queued
		const flooder = await Probe.listen(probe, "flood", "100");
		try {
			const baseline = descriptors(flooder.child.pid);
			const sockets = [];
			for (let i = 0; i < 3; i++) {
				const socket = await connect(flooder.port);
				socket.pause();
				sockets.push(socket);
			}
			await flooder.count(/^closed \d+$/, sockets.length);
			expect(descriptors(flooder.child.pid), "still flushing").to.equal(baseline + sockets.length);
			sockets.forEach(socket => socket.resetAndDestroy());
			expect(await settled(flooder.child.pid, baseline), "flood").to.equal(baseline);
		}
		finally {
			await flooder.stop();
		}
	});

	it("answers a 1-byte round trip in well under 1 ms (median)", async function () {
		running = await Probe.listen(probe, "echo");
		await roundTrips(running.port, 100);		// warm up
		const times = await roundTrips(running.port, 2000);
		const middle = median(times);
		console.log(`      round trip: median ${(middle * 1000).toFixed(0)} µs over ${times.length}`);
		expect(middle).to.be.below(1);
	});
});

describe("compared with the SDK's polling Linux sockets", function () {
	this.timeout(120000);
	const results = {};
	let running;

	afterEach(function () {
		running?.child.kill("SIGTERM");
		running = undefined;
	});

	after(function () {
		if (results.ours && results.sdk) {
			console.log("      round trip median   ours %s µs   SDK %s µs", (results.ours.latency * 1000).toFixed(0), (results.sdk.latency * 1000).toFixed(0));
			console.log("      echo of %s KiB       ours %s MiB/s   SDK %s MiB/s", results.size >> 10, results.ours.throughput.toFixed(1), results.sdk.throughput.toFixed(2));
		}
	});

	// The SDK's version moves at most 1536 bytes per 20 ms poll: 256 KiB keep it to a few seconds.
	const size = 256 * 1024;
	for (const [name, binary, trips] of [["ours", () => probe, 500], ["sdk", () => sdkProbe, 50]]) {
		it(`measures ${name}`, async function () {
			running = await Probe.listen(binary(), "echo");
			const times = await roundTrips(running.port, trips);
			const sent = randomBytes(size);
			const {data, ms} = await echoOnce(running.port, sent);
			expect(sha256(data)).to.equal(sha256(sent));
			results.size = size;
			results[name] = {latency: median(times), throughput: (size / (1 << 20)) / (ms / 1000)};
		});
	}
});
