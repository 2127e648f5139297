// The one data channel cannot be hogged: a session that holds it without moving bytes (a PASV
// nobody connected to, a data connection with no transfer command, a PORT never used) loses it
// to a waiting session after the grace (--data-grace), and its next transfer command gets 425;
// with nobody waiting it keeps it. The passive timeout is set far beyond every deadline here,
// so only the grace can have handed the channel over; deadlines only detect a hang.
import {expect} from "chai";
import net from "node:net";
import {randomBytes} from "node:crypto";
import {Client} from "basic-ftp";
import {Readable, Writable} from "node:stream";
import {startServer} from "./server.js";
import {RawClient, readAll} from "./raw.js";

const HANG = 60000;

/** The port a 227 reply announces. */
function pasvPort(reply) {
	const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.text);
	if ((reply.code !== 227) || !m)
		throw new Error(`PASV: ${reply.text}`);
	return Number(m[5]) * 256 + Number(m[6]);
}

function connectData(port) {
	const socket = net.connect(port, "127.0.0.1");
	socket.on("error", () => {});
	return new Promise((resolve, reject) => { socket.once("connect", () => resolve(socket)); socket.once("error", reject); });
}

/** A waiting session's whole turn: PASV (waiting for the channel), connect, NLST; resolves with how long PASV waited. */
async function servedListing(port) {
	const c = await RawClient.login(port);
	try {
		const started = Date.now();
		const reply = await c.command("PASV", HANG);
		const waited = Date.now() - started;
		const data = await connectData(pasvPort(reply));
		const names = readAll(data);
		expect((await c.command("NLST")).code).to.equal(150);
		const text = (await names).toString("utf8");
		expect((await c.reply()).code).to.equal(226);
		expect((await c.command("QUIT")).code).to.equal(221);
		return {waited, text};
	}
	finally {
		c.close();
	}
}

/** The hog's next transfer command: 425, saying why; then a new PASV and listing work. */
async function hogRefusedThenServed(hog) {
	const refused = await hog.command("NLST", HANG);
	expect(refused).to.deep.equal({code: 425, text: "425 Data channel given to a waiting session; send PASV or PORT again."});
	// said once: the next one is the usual 425
	expect((await hog.command("NLST")).code).to.equal(425);
	const data = await connectData(pasvPort(await hog.command("PASV", HANG)));
	const names = readAll(data);
	expect((await hog.command("NLST")).code).to.equal(150);
	await names;
	expect((await hog.reply()).code).to.equal(226);
}

describe("fairness: an idle holder loses the data channel to a waiting session", function () {
	this.timeout(120000);
	let server;
	before(async () => {
		server = await startServer({args: ["--passive-timeout", "600", "--data-wait-timeout", "120", "--image-size", String(32 * 1024 * 1024)]});
		const c = await RawClient.login(server.port);
		expect((await c.command("MKD shown")).code).to.equal(257);
		c.close();
	});
	after(async () => {
		await server?.dispose();
	});

	it("a PASV nobody connects to: the waiting session is served; the holder's next transfer gets 425", async () => {
		const hog = await RawClient.login(server.port);
		const port = pasvPort(await hog.command("PASV"));
		const {waited, text} = await servedListing(server.port);
		expect(text).to.include("shown");
		console.log(`      waited ${waited} ms for the channel`);
		// the hog's listener is closed: nothing accepts there any more
		await new Promise((resolve, reject) => {
			const socket = net.connect(port, "127.0.0.1");
			socket.once("connect", () => { socket.destroy(); reject(new Error("the revoked listener still accepts")); });
			socket.once("error", resolve);
		});
		await hogRefusedThenServed(hog);
		hog.close();
	});

	it("a data connection opened and left silent: the waiting session is served; the holder's connection is closed and its next transfer gets 425", async () => {
		const hog = await RawClient.login(server.port);
		const silent = await connectData(pasvPort(await hog.command("PASV")));
		const closed = new Promise(resolve => silent.once("close", resolve));
		silent.resume();
		const {waited} = await servedListing(server.port);
		console.log(`      waited ${waited} ms for the channel`);
		await closed;
		await hogRefusedThenServed(hog);
		hog.close();
	});

	it("a PORT never used: the waiting session is served; the holder's next transfer gets 425", async () => {
		const hog = await RawClient.login(server.port);
		const listener = net.createServer(socket => socket.destroy());
		await new Promise(resolve => listener.listen(0, "127.0.0.1", resolve));
		const port = listener.address().port;
		expect((await hog.command(`PORT 127,0,0,1,${port >> 8},${port & 255}`)).code).to.equal(200);
		try {
			const {waited} = await servedListing(server.port);
			console.log(`      waited ${waited} ms for the channel`);
			await hogRefusedThenServed(hog);
		}
		finally {
			listener.close();
			hog.close();
		}
	});

	it("a holder that has started its transfer keeps the channel: the waiting session is served after it", async () => {
		const holder = await RawClient.login(server.port);
		const big = randomBytes(8 * 1024 * 1024);
		let data = await connectData(pasvPort(await holder.command("PASV")));
		expect((await holder.command("STOR big.bin")).code).to.equal(150);
		data.end(big);
		expect((await holder.reply()).code).to.equal(226);
		data = await connectData(pasvPort(await holder.command("PASV")));
		// a download the holder does not read yet: it stays in progress, held back by TCP
		data.pause();
		expect((await holder.command("RETR big.bin")).code).to.equal(150);
		const waiter = servedListing(server.port);
		let served = false;
		waiter.then(() => { served = true; }, () => {});
		await new Promise(resolve => setTimeout(resolve, 4000));
		expect(served, "the channel was taken from a transfer").to.equal(false);
		const received = readAll(data);
		data.resume();
		expect((await received).equals(big)).to.equal(true);
		expect((await holder.reply()).code).to.equal(226);
		await waiter;
		holder.close();
	});
});

describe("fairness: 20 sessions that PASV and go silent", function () {
	this.timeout(180000);
	let server;
	before(async () => {
		// a short grace so that 20 of them take seconds, not a minute; the wait bound is longer than all of them
		server = await startServer({args: ["--data-grace", "0.5", "--passive-timeout", "600", "--data-wait-timeout", "120", "--max-sessions", "30"]});
	});
	after(async () => {
		await server?.dispose();
	});

	it("the session behind them is served, each of them loses the channel and gets 425 on its next transfer", async () => {
		const hogs = [];
		for (let i = 0; i < 20; i++)
			hogs.push(await RawClient.login(server.port));
		// all of them at once: the first gets it, the others wait for it in turn
		const granted = hogs.map(hog => hog.command("PASV", HANG));
		const {waited} = await servedListing(server.port);
		console.log(`      waited ${waited} ms for the channel behind 20 silent sessions (grace 0.5 s)`);
		for (const [i, reply] of (await Promise.all(granted)).entries())
			expect(reply.code, `hog ${i}: ${reply.text}`).to.equal(227);
		for (const [i, hog] of hogs.entries()) {
			const refused = await hog.command("NLST", HANG);
			expect(refused.code, `hog ${i}: ${refused.text}`).to.equal(425);
			hog.close();
		}
	});
});

describe("fairness: nobody waiting", function () {
	this.timeout(120000);
	let server;
	before(async () => {
		server = await startServer({args: ["--data-grace", "0.5"]});
	});
	after(async () => {
		await server?.dispose();
	});

	it("with nobody waiting, an idle holder keeps the channel past the grace", async () => {
		const c = await RawClient.login(server.port);
		const port = pasvPort(await c.command("PASV"));
		await new Promise(resolve => setTimeout(resolve, 1500));
		const data = await connectData(port);
		const names = readAll(data);
		expect((await c.command("NLST")).code).to.equal(150);
		await names;
		expect((await c.reply()).code).to.equal(226);
		c.close();
	});
});

describe("fairness: another client is served while a PASV listener is pending (default settings)", function () {
	this.timeout(120000);
	let server;
	before(async () => {
		server = await startServer();
	});
	after(async () => {
		await server?.dispose();
	});

	it("basic-ftp lists the root while another session's PASV waits for a connection", async () => {
		const hog = await RawClient.login(server.port);
		expect((await hog.command("PASV")).code).to.equal(227);
		const client = new Client(HANG);
		try {
			await client.access({host: server.host, port: server.port, user: "anonymous", password: "x@"});
			await client.uploadFrom(Readable.from([Buffer.from("hello\n")]), "hello.txt");
			const list = await client.list();
			expect(list.map(entry => entry.name)).to.include("hello.txt");
			const chunks = [];
			await client.downloadTo(new Writable({write(chunk, _encoding, done) { chunks.push(chunk); done(); }}), "hello.txt");
			expect(Buffer.concat(chunks).toString()).to.equal("hello\n");
		}
		finally {
			client.close();
		}
		expect((await hog.command("LIST")).code).to.equal(425);
		hog.close();
	});
});
