// The data path end to end on the XS host: byte-exact transfers of awkward sizes in both
// directions, passive and active; aborts, early closes and a stalled reader end cleanly,
// and the host's memory does not grow with them.
import {expect} from "chai";
import net from "node:net";
import {randomBytes, createHash} from "node:crypto";
import {readFileSync} from "node:fs";
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

/** `.socket` resolves to the data connection (passive: at once; active: when the server connects). */
async function dataConnection(c, mode) {
	return (mode === "passive") ? {socket: c.passive()} : active(c);
}

function rssKiB(pid) {
	return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
}

describe("transfers: byte-exact sizes, both directions, passive and active", function () {
	this.timeout(120000);
	let server, c;
	before(async () => {
		server = await startServer({args: ["--image-size", String(48 * 1024 * 1024)]});
		c = await RawClient.login(server.port);
		await c.command("TYPE I");
	});
	after(async () => {
		c?.close();
		await server?.dispose();
	});

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
			await c.command("RETR big.bin");
			await new Promise(resolve => data.once("data", resolve));
			expect((await c.command("ABOR")).code).to.be.oneOf([426, 226]);
			data.destroy();
			await c.reply(5000).catch(() => undefined);
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
