// RETR opens its file once, before its 150 (ftpsock's FileSource), and hands the open file to
// its transfer: every way a RETR fails, before or while it waits for its data connection, still
// gets its reply, on the LittleFS image and on a folder, and a transfer that never starts closes
// the file it opened (on a folder, the server's descriptors are back where they were).
import {expect} from "chai";
import net from "node:net";
import {randomBytes, createHash} from "node:crypto";
import {mkdirSync, mkdtempSync, readdirSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {startServer} from "./server.js";
import {RawClient, readAll} from "./raw.js";

const sha = data => createHash("sha256").update(data).digest("hex");
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** The server's open descriptors (sockets, files, the image...). */
function descriptors(pid) {
	return readdirSync(`/proc/${pid}/fd`).length;
}

/** A port nothing listens on (bound, then closed). */
async function closedPort() {
	const listener = net.createServer();
	await new Promise(resolve => listener.listen(0, "127.0.0.1", resolve));
	const port = listener.address().port;
	await new Promise(resolve => listener.close(resolve));
	return port;
}

/** Sends PASV and returns the port it names, without connecting to it. */
async function pasvPort(c) {
	const reply = await c.command("PASV");
	expect(reply.code).to.equal(227);
	const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.text);
	return Number(m[5]) * 256 + Number(m[6]);
}

/** A whole download, passive: the 150's text, the bytes, the final reply. */
async function download(c, name) {
	const data = await c.passive();
	// read from now on: a file sent empty may end before the 150 is read, and a stream's end
	// is not told again to a reader that comes later
	const received = readAll(data);
	received.catch(() => {});
	const opening = await c.command(`RETR ${name}`);
	if (opening.code !== 150) {
		data.destroy();
		return {opening};
	}
	const bytes = await received;
	return {opening, bytes, reply: await c.reply()};
}

const storages = {
	image: {args: []},
	folder: {args: ["--root"]},
};

for (const [storage, {args}] of Object.entries(storages)) {
	describe(`RETR on ${(storage === "image") ? "the LittleFS image" : "a folder"}: one open, every failure answered, nothing left open`, function () {
		this.timeout(120000);
		const content = randomBytes(10000);
		let server, c;

		before(async () => {
			// the server's passive timeout is short, so that a RETR waiting for a client that never connects ends within the test
			const extra = ["--passive-timeout", "1"];
			if (storage === "folder") {
				const dir = mkdtempSync(join(tmpdir(), "ftpd-retr-"));
				const root = join(dir, "root");
				mkdirSync(join(root, "folder"), {recursive: true});
				writeFileSync(join(root, "file.bin"), content);
				server = await startServer({dir, args: [...args, root, ...extra]});
			}
			else {
				server = await startServer({args: extra});
				const up = await RawClient.login(server.port);
				await up.command("TYPE I");
				const data = await up.passive();
				expect((await up.command("STOR file.bin")).code).to.equal(150);
				data.end(content);
				expect((await up.reply()).code).to.equal(226);
				expect((await up.command("MKD folder")).code).to.equal(257);
				up.close();
			}
		});
		after(async () => { await server?.dispose(); });
		beforeEach(async () => {
			c = await RawClient.login(server.port);
			await c.command("TYPE I");
		});
		afterEach(() => c?.close());

		it("sends the file whole, with its size in the 150", async () => {
			const {opening, bytes, reply} = await download(c, "file.bin");
			expect(opening.text).to.equal("150 Opening data connection for file.bin (10000 bytes).");
			expect(sha(bytes)).to.equal(sha(content));
			expect(reply.code).to.equal(226);
		});

		it("a missing file, a folder, the root, a file used as a folder: 550 before any 150, and the session goes on", async () => {
			for (const [name, text] of [
				["missing.bin", "550 No such file or directory."],
				["folder", "550 Not a plain file."],
				["/", "550 Not a plain file."],
				["file.bin/inside", "550 No such file or directory."],
			]) {
				const data = await c.passive();
				expect((await c.command(`RETR ${name}`)).text, name).to.equal(text);
				data.destroy();
			}
			// the failed RETRs gave the data channel back: the next one is served
			expect(sha((await download(c, "file.bin")).bytes)).to.equal(sha(content));
		});

		it("REST: beyond the end 554, at the end 0 bytes, inside the file its rest", async () => {
			expect((await c.command("REST 10001")).code).to.equal(350);
			expect((await download(c, "file.bin")).opening.text).to.equal("554 Restart offset beyond the end of the file.");
			expect((await c.command("REST 10000")).code).to.equal(350);
			let result = await download(c, "file.bin");
			expect(result.opening.text).to.equal("150 Opening data connection for file.bin (0 bytes).");
			expect(result.bytes.length).to.equal(0);
			expect(result.reply.code).to.equal(226);
			expect((await c.command("REST 9000")).code).to.equal(350);
			result = await download(c, "file.bin");
			expect(result.opening.text).to.equal("150 Opening data connection for file.bin (1000 bytes).");
			expect(sha(result.bytes)).to.equal(sha(content.subarray(9000)));
		});

		it("a file deleted between PASV and RETR: 550", async () => {
			const other = await RawClient.login(server.port);
			try {
				await other.command("TYPE I");
				const up = await other.passive();
				expect((await other.command("STOR gone.bin")).code).to.equal(150);
				up.end(Buffer.from("soon gone"));
				expect((await other.reply()).code).to.equal(226);
				const data = await c.passive();
				expect((await other.command("DELE gone.bin")).code).to.equal(250);
				expect((await c.command("RETR gone.bin")).text).to.equal("550 No such file or directory.");
				data.destroy();
			}
			finally {
				other.close();
			}
		});

		it("a RETR that waits for its data connection: ABOR gets 426 then 226, the passive timeout 425", async () => {
			await pasvPort(c);
			c.send("RETR file.bin");
			// RETR now waits for the client to connect (it never will): no reply yet
			await sleep(500);
			c.send("ABOR");
			expect((await c.reply()).code).to.equal(426);
			expect((await c.reply()).code).to.equal(226);
			await pasvPort(c);
			expect((await c.command("RETR file.bin", 10000)).text).to.equal("425 Can't open data connection.");
			expect((await c.command("NOOP")).code).to.equal(200);
		});

		it(`many RETRs that never get their data connection leave no descriptor open, and the next RETR is served`, async () => {
			const pid = server.proc.pid;
			// the count right after each failure, not after many: a file left open would be
			// closed by the collector sooner or later (FileSource's destructor) and hide there
			const settled = async (what) => {
				let count = descriptors(pid);
				// what the server closes after its reply (a session that quit) takes a moment
				for (let wait = 0; (count > before) && (wait < 50); wait++) {
					await sleep(100);
					count = descriptors(pid);
				}
				expect(count, `descriptors after ${what}`).to.be.at.most(before);
				// fewer: a session of the tests before ended only now (a busy machine)
				before = count;
			};
			await sleep(200);
			let before = descriptors(pid);
			for (let i = 0; i < 6; i++) {
				// no PASV nor PORT: 425 once the file is open
				expect((await c.command("RETR file.bin")).text).to.equal("425 Use PORT or PASV first.");
				await settled("425 without PASV");
				// PORT to where nothing listens: the connect fails, 425
				const port = await closedPort();
				expect((await c.command(`PORT 127,0,0,1,${port >> 8},${port & 255}`)).code).to.equal(200);
				expect((await c.command("RETR file.bin")).text).to.match(/^425 Can't open data connection \(E[A-Z]+\)\.$/);
				await settled("a refused PORT connection");
				// PASV nobody connects to, then ABOR while the RETR waits: 426, 226 (an ABOR that
				// overtook the RETR on a busy machine finds nothing to end: the passive timeout's 425, then 226)
				await pasvPort(c);
				c.send("RETR file.bin");
				await sleep(50);
				c.send("ABOR");
				expect((await c.reply()).code).to.be.oneOf([426, 425]);
				expect((await c.reply()).code).to.equal(226);
				await settled("ABOR");
				// a session that ends while its RETR waits
				const quitter = await RawClient.login(server.port);
				await pasvPort(quitter);
				quitter.send("RETR file.bin");
				await sleep(50);
				quitter.close();
				await settled("the end of a session");
			}
			// a RETR whose client never connects, ended by the passive timeout (1 s): 425
			await pasvPort(c);
			expect((await c.command("RETR file.bin", 10000)).code).to.equal(425);
			await settled("the passive timeout");
			const result = await download(c, "file.bin");
			expect(result.opening.code).to.equal(150);
			expect(sha(result.bytes)).to.equal(sha(content));
			expect(result.reply.code).to.equal(226);
		});
	});
}
