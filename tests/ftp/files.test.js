// The file service on the XS host: confinement, uploads that lose nothing (drops, ABOR,
// kill -9), a full volume, modification times, and the user's app sharing the volume.
import {expect} from "chai";
import {randomBytes, createHash} from "node:crypto";
import {mkdirSync, mkdtempSync, writeFileSync, symlinkSync, truncateSync, statSync, readdirSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {startServer} from "./server.js";
import {RawClient, readAll} from "./raw.js";
import {buildHost} from "../../scripts/sdk.js";

const sha = data => createHash("sha256").update(data).digest("hex");
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function retr(client, path) {
	const data = await client.passive();
	const reply = await client.command(`RETR ${path}`);
	if (reply.code !== 150) {
		data.destroy();
		return {reply};
	}
	const bytes = await readAll(data);
	return {reply: await client.reply(), bytes};
}

async function stor(client, path, bytes) {
	const data = await client.passive();
	const reply = await client.command(`STOR ${path}`);
	if (reply.code !== 150) {
		data.destroy();
		return reply;
	}
	data.end(bytes);
	return client.reply();
}

/** Starts a STOR of `total` bytes and sends only the first `sent`; returns the sockets. */
async function partialStor(client, path, total, sent) {
	const data = await client.passive();
	expect((await client.command(`STOR ${path}`)).code).to.equal(150);
	await new Promise(resolve => data.write(randomBytes(sent), resolve));
	await sleep(100);	// the server has written them to the temporary file
	return data;
}

describe("files: nothing outside the served root", function () {
	this.timeout(60000);
	let server, outsideSize, root;
	before(async () => {
		const base = mkdtempSync(join(tmpdir(), "ftpd-root-"));
		root = join(base, "served");
		mkdirSync(root);
		mkdirSync(join(root, "sub"));
		writeFileSync(join(root, "inside.txt"), "inside");
		outsideSize = 12345;
		writeFileSync(join(base, "outside.txt"), randomBytes(outsideSize));
		symlinkSync(join(base, "outside.txt"), join(root, "link.txt"));
		symlinkSync(base, join(root, "dirlink"));
		server = await startServer({args: ["--root", root], dir: base});
	});
	after(async () => { await server?.dispose(); });

	const attempts = ["../outside.txt", "../../outside.txt", "/../outside.txt", "/..", "../../../..", "..\\outside.txt",
		"sub/../../outside.txt", "%2e%2e/outside.txt", "%2e%2e", "....//outside.txt", "/../../../../etc/passwd",
		"link.txt", "dirlink/outside.txt", "dirlink"];

	for (const path of attempts) {
		it(`never reaches outside through "${path}"`, async () => {
			const c = await RawClient.login(server.port);
			const size = await c.command(`SIZE ${path}`);
			expect(size.text).not.to.include(String(outsideSize));
			expect([550, 553]).to.include(size.code);
			const {reply, bytes} = await retr(c, path);
			expect([550, 553], reply.text).to.include(reply.code);
			expect(bytes).to.equal(undefined);
			const cwd = await c.command(`CWD ${path}`);
			if (cwd.code === 250) {
				// ".." stops at the root: it can only land on the root or inside it
				const pwd = await c.command("PWD");
				expect(pwd.text).to.match(/^257 "\/[^"]*"/);
				const {bytes: listing} = await (async () => {
					const data = await c.passive();
					await c.command("NLST");
					const b = await readAll(data);
					await c.reply();
					return {bytes: b};
				})();
				expect(listing.toString()).not.to.include("outside.txt");
			}
			else
				expect([550, 553]).to.include(cwd.code);
			expect((await c.command("NOOP")).code).to.equal(200);
			c.close();
		});
	}

	it("stays at the root on CWD .. there (250, PWD /), and resolves ../inside.txt to /inside.txt", async () => {
		const c = await RawClient.login(server.port);
		expect((await c.command("CWD ..")).code).to.equal(250);
		expect((await c.command("PWD")).text).to.equal('257 "/" is the current directory.');
		expect((await c.command("CDUP")).code).to.equal(250);
		expect((await c.command("PWD")).text).to.equal('257 "/" is the current directory.');
		expect((await c.command("SIZE ../inside.txt")).text).to.equal("213 6");
		expect((await c.command("SIZE /../../inside.txt")).text).to.equal("213 6");
		expect((await retr(c, "../inside.txt")).bytes.toString()).to.equal("inside");
		expect((await c.command("CWD sub")).code).to.equal(250);
		expect((await c.command("SIZE ../../inside.txt")).text).to.equal("213 6");
		expect((await c.command("CWD ../..")).code).to.equal(250);
		expect((await c.command("PWD")).text).to.equal('257 "/" is the current directory.');
		c.close();
	});

	it("answers bad names clearly: NUL, CR inside a name, over-long paths and lines", async () => {
		const c = await RawClient.login(server.port);
		c.send(Buffer.from("SIZE a\0b\r\n"));
		expect((await c.reply()).code).to.equal(500);
		expect((await c.command("MKD a\rb")).code).to.equal(553);
		expect((await c.command("MKD " + "x".repeat(300))).code).to.equal(553);
		expect((await c.command("MKD " + "x".repeat(2000))).code).to.equal(500);
		expect((await c.command("NOOP")).code).to.equal(200);
		c.close();
	});

	it("never lists nor serves an upload's temporary (LIST -a, MLSD, NLST -a, STAT, MLST, SIZE, RETR)", async () => {
		const c = await RawClient.login(server.port);
		const lister = await RawClient.login(server.port);
		try {
			// an upload in progress has its temporary beside the target, on the real folder
			const upload = await partialStor(c, "sub/coming.bin", 1 << 20, 64 * 1024);
			const temporary = readdirSync(join(root, "sub")).find(name => name.startsWith(".ftpd-part-"));
			expect(temporary, "the upload's temporary, on disk").to.be.a("string");
			const stat = await lister.command("STAT -a sub");
			expect(stat.code).to.equal(213);
			expect(stat.text).not.to.include(".ftpd-part-");
			expect((await lister.command(`SIZE sub/${temporary}`)).code).to.equal(550);
			expect((await lister.command(`MLST sub/${temporary}`)).code).to.equal(550);
			upload.end();
			expect((await c.reply()).code).to.equal(226);
			// one left behind as if its upload were still going on: the listings that need the
			// data channel (held by the upload while it runs) see it now
			writeFileSync(join(root, "sub", temporary), "partial");
			for (const verb of ["LIST -a sub", "MLSD sub", "NLST -a sub", "LIST -la sub"]) {
				const data = await lister.passive();
				expect((await lister.command(verb)).code, verb).to.equal(150);
				const text = (await readAll(data)).toString();
				expect((await lister.reply()).code, verb).to.equal(226);
				expect(text, verb).to.include("coming.bin");
				expect(text, verb).not.to.include(".ftpd-part-");
			}
			expect((await lister.command("STAT -a sub")).text).not.to.include(".ftpd-part-");
			expect((await retr(lister, `sub/${temporary}`)).reply.code).to.equal(550);
		}
		finally {
			c.close();
			lister.close();
		}
	});

	it("keeps symlinks out of listings and refuses to enter or read them", async () => {
		const c = await RawClient.login(server.port);
		const data = await c.passive();
		await c.command("LIST");
		const listing = (await readAll(data)).toString();
		await c.reply();
		expect(listing).to.include("inside.txt");
		expect(listing).not.to.include("link.txt");
		expect(listing).not.to.include("dirlink");
		c.close();
	});
});

describe("files: uploads that lose nothing", function () {
	this.timeout(90000);
	let server;
	const original = randomBytes(200 * 1024 + 3);
	before(async () => { server = await startServer(); });
	after(async () => { await server?.dispose(); });

	/** A file of its own for each test, holding `original`: a test that fails leaves the others theirs. */
	async function seedOriginal(path) {
		const c = await RawClient.login(server.port);
		expect((await stor(c, path, original)).code).to.equal(226);
		c.close();
		return path;
	}

	async function expectOriginal(path) {
		const c = await RawClient.login(server.port);
		const {reply, bytes} = await retr(c, path);
		expect(reply.code).to.equal(226);
		expect(sha(bytes)).to.equal(sha(original));
		const data = await c.passive();
		await c.command("NLST -a");
		const names = (await readAll(data)).toString().split("\r\n").filter(Boolean);
		await c.reply();
		expect(names.filter(n => n.startsWith(".ftpd")), "temporary files are gone").to.deep.equal([]);
		c.close();
	}

	for (const percent of [10, 50, 99]) {
		it(`keeps the old file when the client vanishes (reset) at ${percent} %`, async () => {
			const total = 1024 * 1024;
			const path = await seedOriginal(`reset-${percent}.bin`);
			const c = await RawClient.login(server.port);
			const data = await partialStor(c, path, total, Math.floor(total * percent / 100));
			data.resetAndDestroy();
			c.socket.resetAndDestroy();
			await sleep(300);
			await expectOriginal(path);
		});
		it(`keeps the old file when the client closes both connections at ${percent} %`, async () => {
			const total = 1024 * 1024;
			const path = await seedOriginal(`closed-${percent}.bin`);
			const c = await RawClient.login(server.port);
			const data = await partialStor(c, path, total, Math.floor(total * percent / 100));
			// a killed client: the kernel closes both with FIN
			c.socket.destroy();
			data.destroy();
			await sleep(300);
			await expectOriginal(path);
		});
	}

	it("keeps the old file on ABOR (426, then 226)", async () => {
		const path = await seedOriginal("abor.bin");
		const c = await RawClient.login(server.port);
		const data = await partialStor(c, path, 1 << 20, 300 * 1024);
		data.on("error", () => {});
		expect((await c.command("ABOR")).code).to.equal(426);
		expect((await c.reply()).code).to.equal(226);
		expect((await c.command("NOOP")).code).to.equal(200);
		c.close();
		await expectOriginal(path);
	});

	it("never lists an upload's temporary name in STAT while the upload is in progress", async () => {
		// the one data channel is the upload's while it runs: STAT lists over the control
		// connection (LIST, MLSD and NLST are checked against a temporary on a folder, above)
		const path = await seedOriginal("listed.bin");
		const uploader = await RawClient.login(server.port);
		const lister = await RawClient.login(server.port);
		try {
			for (const [target, was] of [[path, original.length], ["growing.bin", undefined]]) {
				const data = await partialStor(uploader, target, 1 << 20, 200 * 1024);
				for (const line of ["STAT .", "STAT -a .", "STAT -la /"]) {
					const stat = await lister.command(line);
					expect(stat.code, line).to.equal(213);
					expect(stat.text, line).not.to.include(".ftpd-part-");
					// the old file is listed as it was; a new one not until it is complete
					if (was === undefined)
						expect(stat.text, line).not.to.include(target);
					else
						expect(stat.text, line).to.match(new RegExp(` ${was} .* ${target.replace(".", "\\.")}\n`));
				}
				data.end(randomBytes(1000));
				expect((await uploader.reply()).code).to.equal(226);
				expect((await lister.command(`SIZE ${target}`)).text).to.equal(`213 ${200 * 1024 + 1000}`);
			}
		}
		finally {
			uploader.close();
			lister.close();
		}
	});

	it("replaces the file once an upload completes", async () => {
		const c = await RawClient.login(server.port);
		const next = randomBytes(77777);
		expect((await stor(c, "other.bin", next)).code).to.equal(226);
		const {bytes} = await retr(c, "other.bin");
		expect(sha(bytes)).to.equal(sha(next));
		c.close();
	});
});

describe("files: kill -9 in mid-upload", function () {
	this.timeout(90000);
	it("restarts on the same image with the old file byte-exact and no leftover", async () => {
		const original = randomBytes(150 * 1024);
		let server = await startServer();
		const {dir, image} = server;
		try {
			let c = await RawClient.login(server.port);
			expect((await stor(c, "precious.bin", original)).code).to.equal(226);
			const data = await partialStor(c, "precious.bin", 2 << 20, 700 * 1024);
			await server.stop("SIGKILL");
			data.destroy();
			c.close();
			server = await startServer({dir, image});
			c = await RawClient.login(server.port);
			const {reply, bytes} = await retr(c, "precious.bin");
			expect(reply.code).to.equal(226);
			expect(sha(bytes)).to.equal(sha(original));
			expect(server.stderr).to.match(/removed 1 unfinished upload/);
			c.close();
		}
		finally {
			await server.dispose();
		}
	});
});

describe("files: the image shrinks under the server", function () {
	this.timeout(60000);
	// The image is read through a memory mapping: a page past the file's new end would be
	// SIGBUS. The server must live on, answer errors, and write nothing more to the image.
	it("answers errors instead of dying, and leaves the file as it was cut", async () => {
		const server = await startServer();
		try {
			const c = await RawClient.login(server.port);
			const big = randomBytes(512 * 1024);
			expect((await stor(c, "big.bin", big)).code).to.equal(226);
			const size = statSync(server.image).size;
			truncateSync(server.image, 8192);
			// the failure comes at once: the data connection may end before RETR's 150 is read
			const data = await c.passive();
			const received = readAll(data).catch(() => undefined);
			let reply = await c.command("RETR big.bin");
			if (reply.code === 150) {
				await received;
				reply = await c.reply();
			}
			else
				data.destroy();
			expect(reply.code).to.be.within(400, 599);
			expect((await stor(c, "after.bin", randomBytes(64 * 1024))).code).to.be.within(400, 599);
			expect((await c.command("NOOP")).code).to.equal(200);
			expect(server.proc.exitCode).to.equal(null);
			expect(statSync(server.image).size, `was ${size}`).to.equal(8192);
			c.close();
		}
		finally {
			await server.dispose();
		}
	});
});

describe("files: a full volume", function () {
	this.timeout(60000);
	let server;
	before(async () => { server = await startServer({args: ["--image-size", String(256 * 1024)]}); });
	after(async () => { await server?.dispose(); });

	it("answers 552, keeps the old file, and accepts an upload after deleting", async () => {
		const c = await RawClient.login(server.port);
		const old = randomBytes(60 * 1024);
		expect((await stor(c, "old.bin", old)).code).to.equal(226);
		const before = Number((await c.command("AVBL")).text.slice(4));
		expect(before).to.be.greaterThan(0).and.lessThan(256 * 1024);
		expect((await stor(c, "huge.bin", randomBytes(400 * 1024))).code).to.equal(552);
		expect(Number((await c.command("AVBL")).text.slice(4))).to.equal(before);
		expect(sha((await retr(c, "old.bin")).bytes)).to.equal(sha(old));
		expect((await c.command("SIZE huge.bin")).code).to.equal(550);
		expect((await c.command("DELE old.bin")).code).to.equal(250);
		const fits = randomBytes(120 * 1024);
		expect((await stor(c, "fits.bin", fits)).code).to.equal(226);
		expect(sha((await retr(c, "fits.bin")).bytes)).to.equal(sha(fits));
		c.close();
	});
});

describe("files: modification times", function () {
	this.timeout(60000);
	it("keeps MDTM across a restart, and MFMT sets it (LIST and MLSD agree)", async () => {
		let server = await startServer();
		const {dir, image} = server;
		try {
			let c = await RawClient.login(server.port);
			const now = Date.now();
			expect((await stor(c, "t.bin", Buffer.from("time"))).code).to.equal(226);
			const mdtm = await c.command("MDTM t.bin");
			expect(mdtm.code).to.equal(213);
			const m = /^213 (\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(mdtm.text);
			const stamped = Date.UTC(m[1], m[2] - 1, m[3], m[4], m[5], m[6]);
			expect(Math.abs(stamped - now)).to.be.lessThan(5000);
			c.close();
			await server.stop("SIGTERM");
			server = await startServer({dir, image});
			c = await RawClient.login(server.port);
			expect((await c.command("MDTM t.bin")).text).to.equal(mdtm.text);
			// 20:15 UTC on 2 January is 3 January in any zone east of UTC+03:45, 21:15 is
			// 2 January west of UTC; the tests run in a zone that is not UTC (scripts/test.js):
			// every time is UTC (RFC 3659 for MDTM and MLSx; LIST the same)
			expect((await c.command("MFMT 20200102201505 t.bin")).code).to.equal(213);
			expect((await c.command("MDTM t.bin")).text).to.equal("213 20200102201505");
			const list = async () => {
				const data = await c.passive();
				expect((await c.command("LIST t.bin")).code).to.equal(150);
				const text = (await readAll(data)).toString();
				expect((await c.reply()).code).to.equal(226);
				return text;
			};
			expect(await list()).to.match(/ Jan  2  2020 t\.bin\r\n$/);
			const mlsd = await c.passive();
			await c.command("MLSD");
			expect((await readAll(mlsd)).toString()).to.include("modify=20200102201505;");
			await c.reply();
			expect((await c.command("MLST t.bin")).text).to.include("modify=20200102201505;");
			// a recent time shows its hour and minute: UTC's
			const recent = new Date(Math.floor(Date.now() / 60000) * 60000 - 3 * 86400000 + 7 * 60000);
			const two = n => String(n).padStart(2, "0");
			const stamp = `${recent.getUTCFullYear()}${two(recent.getUTCMonth() + 1)}${two(recent.getUTCDate())}${two(recent.getUTCHours())}${two(recent.getUTCMinutes())}00`;
			expect((await c.command(`MFMT ${stamp} t.bin`)).code).to.equal(213);
			expect((await c.command("MDTM t.bin")).text).to.equal(`213 ${stamp}`);
			const month = recent.toLocaleString("en-US", {month: "short", timeZone: "UTC"});
			const day = String(recent.getUTCDate()).padStart(2, " ");
			expect(await list()).to.match(new RegExp(` ${month} ${day} ${two(recent.getUTCHours())}:${two(recent.getUTCMinutes())} t\\.bin\r\n$`));
			expect((await c.command("MFMT 2020 t.bin")).code).to.equal(501);
			c.close();
		}
		finally {
			await server.dispose();
		}
	});
});

describe("files: the user's app shares the volume", function () {
	this.timeout(60000);
	let binary;
	before(function () {
		this.timeout(600000);	// a clean build of this app, on a busy machine
		binary = buildHost({manifest: new URL("../xs/app/manifest.json", import.meta.url).pathname, name: "ftpd-app", quiet: true});
	});
	it("reads through `file` what FTP uploaded, and FTP downloads what it wrote", async () => {
		const server = await startServer({binary});
		try {
			const c = await RawClient.login(server.port);
			const request = randomBytes(100 * 1024 + 1);
			expect((await stor(c, "request.bin", request)).code).to.equal(226);
			let reply;
			for (let i = 0; i < 100; i++) {
				await sleep(50);
				if ((await c.command("SIZE reply.bin")).code === 213) {
					reply = await retr(c, "reply.bin");
					break;
				}
			}
			expect(reply, "the app answered").to.exist;
			expect(sha(reply.bytes)).to.equal(sha(Buffer.from(request).reverse()));
			c.close();
		}
		finally {
			await server.dispose();
		}
	});
});

// A lookup on the image skips the metadata pairs of a folder whose names all sort before the
// name looked for, when their blocks were not written since they were last read (volumeLfs.c's
// fetch cache), and LittleFS orders names oddly when one is a prefix of another (the longer
// first). A folder of several pairs, names that are prefixes of each other, and a run of
// uploads, removals, renames and lookups, each answer checked against a model.
describe("files: lookups in a folder of many entries, through changes", function () {
	this.timeout(120000);
	it("answers SIZE, STOR, DELE, RNFR and RNTO as a model of the folder does", async () => {
		const server = await startServer({args: ["--verbose", "0"]});
		try {
			const c = await RawClient.login(server.port);
			await c.command("TYPE I");
			expect((await c.command("MKD many")).code).to.equal(257);
			const names = [];
			for (let i = 1; i <= 9; i++)
				names.push("abcdefghi".slice(0, i));
			names.push("abd", "abca", "b", "ba", "bab", "z", "zz", "zzz", "a0", "~", "ab~");
			for (let i = 0; i < 150; i++)
				names.push(`n${String(i).padStart(3, "0")}`);
			const never = ["abcdefghij", "aa", "abb", "bb", "zzzz", "n", "n0000", "n150", "m", "~~"];
			const model = new Map();
			let seed = 7;
			const random = n => {
				seed = (seed * 1103515245 + 12345) & 0x7fffffff;
				return seed % n;
			};
			// most of them first, so that the folder spans several pairs
			for (const name of names.filter((_, i) => i % 4)) {
				const size = 1 + random(300);
				expect((await stor(c, `many/${name}`, randomBytes(size))).code).to.equal(226);
				model.set(name, size);
			}
			const check = async name => {
				const reply = await c.command(`SIZE many/${name}`);
				if (model.has(name))
					expect(reply.text, `SIZE ${name}`).to.equal(`213 ${model.get(name)}`);
				else
					expect(reply.code, `SIZE ${name} (absent)`).to.equal(550);
			};
			for (let step = 0; step < 600; step++) {
				const name = names[random(names.length)];
				const what = random(10);
				if (what < 2) {
					const size = 1 + random(300);
					expect((await stor(c, `many/${name}`, randomBytes(size))).code).to.equal(226);
					model.set(name, size);
				}
				else if ((what < 4) && model.has(name)) {
					expect((await c.command(`DELE many/${name}`)).code).to.equal(250);
					model.delete(name);
				}
				else if ((what < 5) && model.has(name)) {
					const to = names[random(names.length)];
					expect((await c.command(`RNFR many/${name}`)).code).to.equal(350);
					expect((await c.command(`RNTO many/${to}`)).code).to.equal(250);
					const size = model.get(name);
					model.delete(name);
					model.set(to, size);
				}
				await check(name);
				await check(never[random(never.length)]);
				await check(names[random(names.length)]);
			}
			for (const name of [...names, ...never])
				await check(name);
			c.close();
		}
		finally {
			await server.dispose();
		}
	});
});
