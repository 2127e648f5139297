// The data path end to end on the XS host: byte-exact transfers of awkward sizes in both
// directions, passive and active; aborts, early closes and a stalled reader end cleanly,
// and the host's memory does not grow with them.
import {expect} from "chai";
import net from "node:net";
import {randomBytes, createHash} from "node:crypto";
import {readFileSync, readdirSync, truncateSync} from "node:fs";
import {startServer} from "./server.js";
import {RawClient, readAll} from "./raw.js";

const sha = data => createHash("sha256").update(data).digest("hex");
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const SIZES = [0, 1, 1460, 65535, 65536, 1024 * 1024 + 1, 16 * 1024 * 1024];

/** An active-mode data connection: listens, sends PORT; `.socket` is the promise of the server's connection. */
async function active(c) {
	const listener = net.createServer();
	await new Promise(resolve => listener.listen(0, "127.0.0.1", resolve));
	const port = listener.address().port;
	const reply = await c.command(`PORT 127,0,0,1,${port >> 8},${port & 255}`);
	expect(reply.code).to.equal(200);
	const socket = new Promise(resolve => listener.once("connection", s => { listener.close(); resolve(s); }));
	return {socket};
}

/** A passive STOR of `bytes` to `name` on a session in TYPE I, answered 150 then 226. */
async function storWhole(c, name, bytes) {
	const data = await c.passive();
	expect((await c.command(`STOR ${name}`)).code).to.equal(150);
	data.end(bytes);
	expect((await c.reply()).code).to.equal(226);
}

/** `.socket` resolves to the data connection (passive: at once; active: when the server connects). */
async function dataConnection(c, mode) {
	return (mode === "passive") ? {socket: c.passive()} : active(c);
}

/** Two sessions on `server`, the first in TYPE I, which has stored `victim` as victim.bin. */
async function twoSessions(server, victim) {
	const a = await RawClient.login(server.port);
	await a.command("TYPE I");
	await storWhole(a, "victim.bin", victim);
	return {a, b: await RawClient.login(server.port)};
}

/** MKDs (<prefix><i>/d<j>) until the volume is full (552); returns how many folders were made. */
async function fillWithFolders(c, prefix) {
	let made = 0;
	for (let i = 0; i < 80; i++) {
		if ((await c.command(`MKD ${prefix}${i}`)).code !== 257)
			return made;
		for (let j = 0; j < 60; j++) {
			const reply = await c.command(`MKD ${prefix}${i}/d${j}`);
			if (reply.code !== 257) {
				expect(reply.code).to.equal(552);
				return made;
			}
			made++;
		}
	}
	throw new Error("the volume never filled");
}

/**
 * That the volume takes more than 100 folders again (`fill`: MKDs until it is full) once a
 * download's client has closed its data connection: the server frees the file's blocks when it
 * sees that close (a lent download, see ftpsock_posix_linger.c), which may come after the
 * client's next command. Tries for 5 s. `made`: the folders made before, for the message.
 */
async function expectSpaceBack(c, fill, made) {
	let more = 0;
	for (let tries = 0; (more <= 100) && (tries < 50); tries++) {
		more += await fill(c, `q${tries}_`);
		if (more <= 100)
			await sleep(100);
	}
	expect(more, `${made} folders, then ${more}`).to.be.greaterThan(100);
}

function rssKiB(pid) {
	return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
}

describe("transfers: byte-exact sizes, both directions, passive and active", function () {
	this.timeout(120000);
	let server, c;
	before(async () => { server = await startServer({args: ["--image-size", String(48 * 1024 * 1024)]}); });
	after(async () => { await server?.dispose(); });
	// a session per test: a failure that leaves a reply unread does not shift the next test's
	beforeEach(async () => {
		c = await RawClient.login(server.port);
		await c.command("TYPE I");
	});
	afterEach(() => c?.close());

	for (const mode of ["passive", "active"]) {
		for (const size of SIZES) {
			it(`${mode}: STOR then RETR ${size} bytes`, async () => {
				const bytes = randomBytes(size);
				let data = await dataConnection(c, mode);
				expect((await c.command(`STOR s${size}`)).code).to.equal(150);
				(await data.socket).end(bytes);
				expect((await c.reply()).code).to.equal(226);
				expect((await c.command(`SIZE s${size}`)).text).to.equal(`213 ${size}`);
				data = await dataConnection(c, mode);
				expect((await c.command(`RETR s${size}`)).code).to.equal(150);
				const back = await readAll(await data.socket);
				expect((await c.reply()).code).to.equal(226);
				expect(back.length).to.equal(size);
				expect(sha(back)).to.equal(sha(bytes));
				expect((await c.command(`DELE s${size}`)).code).to.equal(250);
			});
		}
	}
});

// A download from the image is sent from the image's mapping, a run per LittleFS block (the
// file's bytes follow the block's skip-list pointers); small files LittleFS keeps inline in
// their directory's metadata go through a buffer. Sizes and REST offsets around the block
// size (4096) and the inline limit.
describe("transfers: RETR from the image, in place, at block boundaries", function () {
	this.timeout(120000);
	const BLOCK_SIZES = [0, 1, 100, 127, 128, 129, 1000, 4095, 4096, 4097, 8191, 8192, 8193, 3 * 4096 + 17, 1024 * 1024 + 1];
	let server, c;
	/** size -> the bytes of b<size>, stored before the tests (each RETR test stores its own) */
	const files = new Map();
	before(async () => {
		server = await startServer({args: ["--image-size", String(16 * 1024 * 1024)]});
		c = await RawClient.login(server.port);
		await c.command("TYPE I");
		for (const size of [100, 129, 4097, 8193, 1024 * 1024 + 1]) {
			files.set(size, randomBytes(size));
			await stor(`b${size}`, files.get(size));
		}
		c.close();
	});
	after(async () => { await server?.dispose(); });
	beforeEach(async () => {
		c = await RawClient.login(server.port);
		await c.command("TYPE I");
	});
	afterEach(() => c?.close());

	const stor = (name, bytes) => storWhole(c, name, bytes);

	async function retr(name, rest) {
		if (rest !== undefined)
			expect((await c.command(`REST ${rest}`)).code).to.equal(350);
		const data = await c.passive();
		const received = readAll(data);
		expect((await c.command(`RETR ${name}`)).code).to.equal(150);
		const bytes = await received;
		expect((await c.reply()).code).to.equal(226);
		return bytes;
	}

	for (const size of BLOCK_SIZES) {
		it(`RETR ${size} bytes`, async () => {
			const bytes = randomBytes(size);
			await stor(`r${size}`, bytes);
			const back = await retr(`r${size}`);
			expect(back.length).to.equal(size);
			expect(sha(back)).to.equal(sha(bytes));
		});
	}

	it("REST offsets within and across blocks", async () => {
		const size = 1024 * 1024 + 1;
		const bytes = files.get(size);
		for (const rest of [1, 17, 4000, 4095, 4096, 4097, 8184, 8192, 65536 + 2049, size - 4097, size - 1, size]) {
			const back = await retr(`b${size}`, rest);
			expect(back.length, `REST ${rest}`).to.equal(size - rest);
			expect(sha(back), `REST ${rest}`).to.equal(sha(bytes.subarray(rest)));
		}
		for (const [small, rest] of [[100, 50], [129, 128], [4097, 4096], [8193, 4095]]) {
			const back = await retr(`b${small}`, rest);
			expect(sha(back), `b${small} REST ${rest}`).to.equal(sha(files.get(small).subarray(rest)));
		}
	});

	it("concurrent downloads of one file, each from its own offset", async () => {
		const size = 1024 * 1024 + 1;
		const bytes = files.get(size);
		const rests = [0, 4097, 300001, 1000000];
		const clients = await Promise.all(rests.map(() => RawClient.login(server.port)));
		try {
			const results = await Promise.all(clients.map(async (client, i) => {
				await client.command("TYPE I");
				expect((await client.command(`REST ${rests[i]}`)).code).to.equal(350);
				const data = await client.passive();
				const received = readAll(data);
				expect((await client.command(`RETR b${size}`)).code).to.equal(150);
				const back = await received;
				expect((await client.reply()).code).to.equal(226);
				return back;
			}));
			results.forEach((back, i) => expect(sha(back), `REST ${rests[i]}`).to.equal(sha(bytes.subarray(rests[i]))));
		}
		finally {
			clients.forEach(client => client.close());
		}
	});

	it("a file rewritten after its download keeps downloading its new bytes", async () => {
		const first = randomBytes(64 * 1024 + 3);
		await stor("again", first);
		expect(sha(await retr("again"))).to.equal(sha(first));
		const second = randomBytes(40 * 1024 + 5);
		await stor("again", second);
		expect(sha(await retr("again"))).to.equal(sha(second));
	});
});

describe("transfers: the image shrinks under a download in progress", function () {
	this.timeout(60000);
	// The download's pending runs point into the image's mapping: the pages the truncation
	// took fail the kernel's copy (EFAULT), never the server (SIGBUS), and nothing but the
	// file's own bytes reaches the client.
	it("ends the transfer with an error after a prefix of the file; the server lives on", async () => {
		const server = await startServer({args: ["--image-size", String(16 * 1024 * 1024)]});
		try {
			const c = await RawClient.login(server.port);
			await c.command("TYPE I");
			const big = randomBytes(8 * 1024 * 1024);
			await storWhole(c, "big.bin", big);
			const data = await c.passive();
			expect((await c.command("RETR big.bin")).code).to.equal(150);
			data.pause();
			await sleep(300);
			truncateSync(server.image, 8192);
			const chunks = [];
			data.on("data", chunk => chunks.push(chunk));
			const ended = new Promise(resolve => { data.on("end", resolve); data.on("close", resolve); data.on("error", resolve); });
			data.resume();
			await ended;
			const reply = await c.reply();
			expect(reply.code).to.be.within(400, 599);
			const got = Buffer.concat(chunks);
			expect(got.length).to.be.lessThan(big.length);
			expect(sha(got)).to.equal(sha(big.subarray(0, got.length)));
			expect((await c.command("NOOP")).code).to.equal(200);
			expect(server.proc.exitCode).to.equal(null);
			c.close();
		}
		finally {
			await server.dispose();
		}
	});
});

// LittleFS's allocator counts the blocks its folders reach and those of files being written,
// not those of a file being read whose entry is gone: a download whose file another session
// deleted (or renamed another file over) while it ran used to go on with whatever the next
// writes put in its blocks. Here the other session fills the volume with folders (no data
// channel needed: the download holds the only one), which takes every free block.
describe("transfers: a download whose file is removed under it", function () {
	this.timeout(120000);

	const fill = fillWithFolders;

	for (const how of ["DELE", "RNTO over it"]) {
		it(`sends the file's own bytes to the end when another session removes it (${how}) and fills the volume`, async () => {
			const server = await startServer({args: ["--image-size", String(16 * 1024 * 1024), "--verbose", "0"]});
			try {
				// 12 MiB: more than loopback's socket buffers take from a reader that does not read
				const victim = randomBytes(12 * 1024 * 1024);
				const {a, b} = await twoSessions(server, victim);
				if (how !== "DELE")
					await storWhole(b, "other.bin", Buffer.from("the file renamed over the download's\n"));
				const data = await a.passive();
				data.pause();
				expect((await a.command("RETR victim.bin")).code).to.equal(150);
				await sleep(200);
				if (how === "DELE")
					expect((await b.command("DELE victim.bin")).code).to.equal(250);
				else {
					expect((await b.command("RNFR other.bin")).code).to.equal(350);
					expect((await b.command("RNTO victim.bin")).code).to.equal(250);
				}
				const made = await fill(b, "p");
				const received = readAll(data);
				data.resume();
				const got = await received;
				expect((await a.reply()).code).to.equal(226);
				expect(got.length).to.equal(victim.length);
				expect(sha(got)).to.equal(sha(victim));
				// closed, its blocks are free again: the volume takes more folders
				await expectSpaceBack(b, fill, made);
				a.close();
				b.close();
			}
			finally {
				await server.dispose();
			}
		});
	}
});

// A large download from the image is lent, not copied: the socket holds the image's own pages
// (ftpsock_posix_linger.c). Its 226 comes once the last byte is in the socket, but a client
// reads it later; its file must keep its blocks until then, or the next writes change what the
// client has yet to read. Here the client holds back the last ~200 KiB past the 226 while
// another session deletes the file and fills the volume with folders.
describe("transfers: a lent download keeps its blocks until the client has read it", function () {
	this.timeout(120000);

	/**
	 * With `folders`, MKDs until the volume is full (fillWithFolders); then an upload larger
	 * than the volume, which takes every block left before its 552 (a folder takes two, and
	 * LittleFS may pass over a single free block while making folders: after APPE, the one block
	 * freed is that one). Returns how many folders were made.
	 */
	async function fill(c, prefix, folders = true) {
		const made = folders ? await fillWithFolders(c, prefix) : 0;
		await c.command("TYPE I");
		const data = await c.passive();
		data.on("error", () => {});		// the server ends the upload early: a reset is expected
		expect((await c.command(`STOR ${prefix}.bin`)).code).to.equal(150);
		data.end(randomBytes(10 * 1024 * 1024));
		expect((await c.reply()).code).to.equal(552);
		return made;
	}

	// APPE copies the file's last, partial block to a new one and frees the old one
	for (const [mode, how] of [["passive", "DELE"], ["active", "DELE"], ["passive", "APPE"]]) {
		it(`${mode}: the bytes read after the 226, the file changed (${how}) and the volume filled, are the file's`, async () => {
			// small enough for the folders to take every block left within the test's time
			const server = await startServer({args: ["--image-size", String(8 * 1024 * 1024), "--verbose", "0"]});
			try {
				const victim = randomBytes(2 * 1024 * 1024);
				const {a, b} = await twoSessions(server, victim);
				const connection = await dataConnection(a, mode);
				// active: the server connects once it has the RETR
				const retr = a.command("RETR victim.bin");
				const data = await connection.socket;
				const chunks = [];
				let got = 0, holding = false;
				const heldBack = new Promise(resolve => data.on("data", chunk => {
					chunks.push(chunk);
					got += chunk.length;
					if (!holding && (got >= victim.length - 256 * 1024)) {
						holding = true;
						data.pause();
						resolve();
					}
				}));
				const ended = new Promise(resolve => data.on("end", resolve));
				expect((await retr).code).to.equal(150);
				await heldBack;
				expect((await a.reply()).code).to.equal(226);
				expect(got, "bytes read before the 226").to.be.below(victim.length);
				if (how === "DELE")
					expect((await b.command("DELE victim.bin")).code).to.equal(250);
				else {
					await b.command("TYPE I");
					const appended = await b.passive();
					expect((await b.command("APPE victim.bin")).code).to.equal(150);
					appended.end(Buffer.from("appended while the download was being read\n"));
					expect((await b.reply()).code).to.equal(226);
				}
				const made = await fill(b, "p", how === "DELE");
				data.resume();
				await ended;
				const received = Buffer.concat(chunks);
				expect(received.length).to.equal(victim.length);
				expect(sha(received)).to.equal(sha(victim));
				// the client closed its end (Node ends a socket at the peer's FIN): the blocks are free
				if (how === "APPE")
					expect((await b.command("DELE victim.bin")).code).to.equal(250);
				await expectSpaceBack(b, fill, made);
				a.close();
				b.close();
			}
			finally {
				await server.dispose();
			}
		});
	}

	// A client that reads every byte and never closes its data connections keeps each lent
	// download's socket and file: at most 16 at once, then downloads copy (nothing to keep)
	it("a client that never closes its data connections holds at most 16 lent downloads", async () => {
		const server = await startServer({args: ["--image-size", String(8 * 1024 * 1024), "--verbose", "0"]});
		const fds = () => readdirSync(`/proc/${server.proc.pid}/fd`).length;
		const held = [];
		try {
			const a = await RawClient.login(server.port);
			await a.command("TYPE I");
			const file = randomBytes(300 * 1024);
			await storWhole(a, "lent.bin", file);
			const before = fds();
			for (let i = 0; i < 30; i++) {
				const reply = await a.command("PASV");
				const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.text);
				// allowHalfOpen: Node would otherwise end its side at our FIN
				const data = net.connect({port: Number(m[5]) * 256 + Number(m[6]), host: "127.0.0.1", allowHalfOpen: true});
				await new Promise((resolve, reject) => { data.once("connect", resolve); data.once("error", reject); });
				held.push(data);
				const received = readAll(data);
				expect((await a.command("RETR lent.bin")).code).to.equal(150);
				expect(sha(await received)).to.equal(sha(file));
				expect((await a.reply()).code).to.equal(226);
			}
			const most = fds();
			expect(most - before, "descriptors the server holds for data connections the client keeps").to.be.at.most(16 + 2);
			expect(most - before, "lent downloads kept").to.be.at.least(16);
			for (const data of held)
				data.end();
			let after = fds();
			for (let tries = 0; (after > before) && (tries < 50); tries++) {
				await sleep(100);
				after = fds();
			}
			expect(after, "descriptors once the client closed").to.equal(before);
			a.close();
		}
		finally {
			for (const data of held)
				data.destroy();
			await server.dispose();
		}
	});

	// A client that resets its data connection (a kill, or a close with bytes unread) drops
	// what its kernel held: the blocks are free then, with no FIN from it
	it("a client that resets the data connection mid-download frees the blocks", async () => {
		const server = await startServer({args: ["--image-size", String(8 * 1024 * 1024), "--verbose", "0"]});
		try {
			const a = await RawClient.login(server.port);
			await a.command("TYPE I");
			await storWhole(a, "victim.bin", randomBytes(2 * 1024 * 1024));
			// the volume full but for what the file will give back
			const made = await fillWithFolders(a, "p");
			const data = await a.passive();
			const first = new Promise(resolve => data.once("data", resolve));
			expect((await a.command("RETR victim.bin")).code).to.equal(150);
			await first;
			data.resetAndDestroy();
			expect([226, 426, 451]).to.include((await a.reply()).code);
			expect((await a.command("DELE victim.bin")).code).to.equal(250);
			await expectSpaceBack(a, fill, made);
			expect((await a.command("NOOP")).code).to.equal(200);
			a.close();
		}
		finally {
			await server.dispose();
		}
	});
});

describe("transfers: interruptions end cleanly", function () {
	this.timeout(120000);
	let server;
	const big = randomBytes(12 * 1024 * 1024);
	before(async () => {
		server = await startServer({args: ["--image-size", String(32 * 1024 * 1024)]});
		const c = await RawClient.login(server.port);
		const data = await c.passive();
		await c.command("STOR big.bin");
		data.end(big);
		expect((await c.reply()).code).to.equal(226);
		c.close();
	});
	after(async () => { await server?.dispose(); });

	it("a reader that stalls for 10 s still gets every byte, then 226", async () => {
		const c = await RawClient.login(server.port);
		const data = await c.passive();
		expect((await c.command("RETR big.bin")).code).to.equal(150);
		data.pause();
		await sleep(10000);
		const chunks = [];
		data.on("data", chunk => chunks.push(chunk));
		data.resume();
		await new Promise(resolve => data.on("end", resolve));
		expect((await c.reply()).code).to.equal(226);
		expect(sha(Buffer.concat(chunks))).to.equal(sha(big));
		c.close();
	});

	it("a reader stalled past --transfer-timeout gets 426 and the session goes on", async () => {
		const quick = await startServer({args: ["--transfer-timeout", "1", "--image-size", String(32 * 1024 * 1024)]});
		try {
			const c = await RawClient.login(quick.port);
			const up = await c.passive();
			await c.command("STOR big.bin");
			up.end(big);
			expect((await c.reply()).code).to.equal(226);
			const data = await c.passive();
			expect((await c.command("RETR big.bin")).code).to.equal(150);
			data.pause();
			const reply = await c.reply(10000);
			expect(reply.code).to.equal(426);
			data.destroy();
			expect((await c.command("NOOP")).code).to.equal(200);
			c.close();
		}
		finally {
			await quick.dispose();
		}
	});

	it("aborts and early closes, many times over, leave the host's memory flat", async () => {
		const cycle = async () => {
			const c = await RawClient.login(server.port);
			let data = await c.passive();
			expect((await c.command("RETR big.bin")).code).to.equal(150);
			// held back after its first bytes, 12 MiB cannot have been sent whole
			await new Promise(resolve => data.once("data", () => { data.pause(); resolve(); }));
			expect((await c.command("ABOR")).code).to.equal(426);
			expect((await c.reply()).code).to.equal(226);
			data.destroy();
			data = await c.passive();
			await c.command("RETR big.bin");
			await new Promise(resolve => data.once("data", resolve));
			data.destroy();
			expect((await c.reply()).code).to.equal(426);
			expect((await c.command("NOOP")).code).to.equal(200);
			c.close();
		};
		for (let i = 0; i < 5; i++)
			await cycle();
		const before = rssKiB(server.proc.pid);
		for (let i = 0; i < 30; i++)
			await cycle();
		const after = rssKiB(server.proc.pid);
		expect(after - before, `RSS ${before} → ${after} KiB`).to.be.lessThan(1024);
	});
});

describe("transfers: a data connection from another address", function () {
	this.timeout(60000);
	let server;
	before(async () => { server = await startServer(); });
	after(async () => { await server?.dispose(); });

	/** Connects to the PASV port from 127.0.0.2; resolves what it received once the server closed it. */
	function thief(port, bytes) {
		return new Promise((resolve, reject) => {
			const socket = net.connect({port, host: "127.0.0.1", localAddress: "127.0.0.2"});
			const received = [];
			socket.on("connect", () => { if (bytes) socket.write(bytes); });
			socket.on("data", chunk => received.push(chunk));
			socket.on("error", () => {});
			socket.on("close", () => resolve(Buffer.concat(received)));
			setTimeout(() => { socket.destroy(); reject(new Error("the server did not close the connection from 127.0.0.2")); }, 10000);
		});
	}

	async function pasvPort(c) {
		const reply = await c.command("PASV");
		expect(reply.code).to.equal(227);
		const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.text);
		return Number(m[5]) * 256 + Number(m[6]);
	}

	function connect(port) {
		const socket = net.connect(port, "127.0.0.1");
		return new Promise((resolve, reject) => { socket.once("connect", () => resolve(socket)); socket.once("error", reject); });
	}

	it("is refused at a PASV port (RFC 2577); the transfer then goes on from 127.0.0.1", async () => {
		const c = await RawClient.login(server.port);
		try {
			await c.command("TYPE I");
			// an upload: what the other address sends never reaches the file
			const good = randomBytes(300 * 1024);
			let port = await pasvPort(c);
			await thief(port, Buffer.alloc(64 * 1024, 0x58));
			let data = await connect(port);
			expect((await c.command("STOR stolen.bin")).code).to.equal(150);
			data.end(good);
			expect((await c.reply()).code).to.equal(226);
			// a download: the other address gets nothing, the client everything
			port = await pasvPort(c);
			expect((await thief(port)).length).to.equal(0);
			data = await connect(port);
			const received = readAll(data);
			expect((await c.command("RETR stolen.bin")).code).to.equal(150);
			expect(sha(await received)).to.equal(sha(good));
			expect((await c.reply()).code).to.equal(226);
			// and a connection from the other address after RETR was sent, while the
			// server waits for its data connection
			port = await pasvPort(c);
			const opening = c.command("RETR stolen.bin");
			expect((await thief(port)).length).to.equal(0);
			data = await connect(port);
			const again = readAll(data);
			expect((await opening).code).to.equal(150);
			expect(sha(await again)).to.equal(sha(good));
			expect((await c.reply()).code).to.equal(226);
		}
		finally {
			c.close();
		}
	});
});

describe("transfers: no passive port free", function () {
	this.timeout(60000);
	let server, blocker, port;
	before(async () => {
		// the server's one passive port, taken by another listener first
		blocker = net.createServer();
		await new Promise(resolve => blocker.listen(0, "127.0.0.1", resolve));
		port = blocker.address().port;
		server = await startServer({args: ["--passive-ports", String(port)]});
	});
	after(async () => {
		blocker?.close();
		await server?.dispose();
	});

	it("PASV and EPSV answer 425, the channel is not kept, and the port serves once it is free", async () => {
		const c = await RawClient.login(server.port);
		const other = await RawClient.login(server.port);
		try {
			expect((await c.command("PASV")).text).to.equal("425 Can't open passive connection (EADDRINUSE).");
			expect((await c.command("EPSV")).text).to.equal("425 Can't open passive connection (EADDRINUSE).");
			// another session is not kept waiting for a channel the failed PASV would hold
			expect((await other.command("PASV")).text).to.equal("425 Can't open passive connection (EADDRINUSE).");
			await new Promise(resolve => blocker.close(resolve));
			blocker = undefined;
			const content = randomBytes(70000);
			await c.command("TYPE I");
			const socket = await c.passive();
			expect((await c.command("STOR freed.bin")).code).to.equal(150);
			socket.end(content);
			expect((await c.reply()).code).to.equal(226);
			await other.command("TYPE I");
			const back = await other.passive();
			const received = readAll(back);
			expect((await other.command("RETR freed.bin")).code).to.equal(150);
			expect(sha(await received)).to.equal(sha(content));
			expect((await other.reply()).code).to.equal(226);
		}
		finally {
			c.close();
			other.close();
		}
	});
});
