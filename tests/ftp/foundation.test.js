// The first server, end to end on the XS host: basic-ftp and curl upload, list, download
// and compare bytes; several sessions at once; the image survives a restart.
import {expect} from "chai";
import {Client} from "basic-ftp";
import {execFile} from "node:child_process";
import {promisify} from "node:util";
import {randomBytes, createHash} from "node:crypto";
import {writeFileSync, readFileSync} from "node:fs";
import {join} from "node:path";
import {Readable, Writable} from "node:stream";
import {startServer} from "./server.js";
import {RawClient} from "./raw.js";

const run = promisify(execFile);
const sha = data => createHash("sha256").update(data).digest("hex");

async function connect(server) {
	const client = new Client(20000);
	await client.access({host: server.host, port: server.port, user: "anonymous", password: "test@"});
	return client;
}

async function upload(client, data, name) {
	await client.uploadFrom(Readable.from([data]), name);
}

async function download(client, name) {
	const chunks = [];
	await client.downloadTo(new Writable({write(chunk, _, done) { chunks.push(chunk); done(); }}), name);
	return Buffer.concat(chunks);
}

describe("foundation: first server on the XS host", function () {
	this.timeout(60000);
	let server;
	before(async () => { server = await startServer(); });
	after(async () => { await server?.dispose(); });

	it("greets, logs in anonymously and answers SYST, FEAT, PWD", async () => {
		const c = await RawClient.connect(server.port);
		expect((await c.reply()).code).to.equal(220);
		expect(await c.command("SYST")).to.include({code: 215, text: "215 UNIX Type: L8"});
		const feat = await c.command("FEAT");
		expect(feat.code).to.equal(211);
		for (const f of ["UTF8", "SIZE", "MDTM", "EPSV", "REST STREAM"])
			expect(feat.text).to.include(`\n ${f}`);
		expect((await c.command("OPTS UTF8 ON")).code).to.equal(200);
		expect((await c.command("PWD")).code).to.equal(530);
		expect((await c.command("USER anonymous")).code).to.equal(331);
		expect((await c.command("PASS x@y")).code).to.equal(230);
		expect(await c.command("PWD")).to.include({code: 257, text: '257 "/" is the current directory.'});
		expect((await c.command("QUIT")).code).to.equal(221);
		c.close();
	});

	it("answers unknown verbs with 502 and goes on", async () => {
		const c = await RawClient.login(server.port);
		expect((await c.command("XYZZY")).code).to.equal(502);
		expect((await c.command("NOOP")).code).to.equal(200);
		c.close();
	});

	it("uploads, lists with the exact size, downloads byte-exact, then deletes (basic-ftp)", async () => {
		const client = await connect(server);
		const data = randomBytes(1024 * 1024 + 7);
		await upload(client, data, "one.bin");
		const list = await client.list();
		const entry = list.find(e => e.name === "one.bin");
		expect(entry, JSON.stringify(list)).to.exist;
		expect(entry.size).to.equal(data.length);
		expect(await client.size("one.bin")).to.equal(data.length);
		expect(sha(await download(client, "one.bin"))).to.equal(sha(data));
		await client.remove("one.bin");
		expect((await client.list()).map(e => e.name)).not.to.include("one.bin");
		client.close();
	});

	it("makes, enters, leaves and removes folders with spaces and non-ASCII names", async () => {
		const client = await connect(server);
		await client.send("MKD dossier été");
		await client.cd("dossier été");
		expect(await client.pwd()).to.equal("/dossier été");
		await upload(client, Buffer.from("hello"), "a b.txt");
		expect((await client.list()).map(e => e.name)).to.deep.equal(["a b.txt"]);
		await client.cdup();
		expect(await client.pwd()).to.equal("/");
		const notEmpty = await client.send("RMD dossier été").catch(e => e);
		expect(notEmpty.code).to.equal(550);
		await client.remove("dossier été/a b.txt");
		await client.send("RMD dossier été");
		expect((await client.list()).map(e => e.name)).not.to.include("dossier été");
		client.close();
	});

	it("refuses what is missing with 550 and keeps the session", async () => {
		const c = await RawClient.login(server.port);
		expect((await c.command("CWD /nowhere")).code).to.equal(550);
		expect((await c.command("SIZE nothing.bin")).code).to.equal(550);
		expect((await c.command("DELE nothing.bin")).code).to.equal(550);
		expect((await c.command("RMD nowhere")).code).to.equal(550);
		expect((await c.command("NOOP")).code).to.equal(200);
		c.close();
	});

	it("serves several sessions at once, byte-exact", async () => {
		const clients = await Promise.all([0, 1, 2, 3].map(() => connect(server)));
		const blobs = clients.map(() => randomBytes(256 * 1024 + 13));
		await Promise.all(clients.map((c, i) => upload(c, blobs[i], `par${i}.bin`)));
		const back = await Promise.all(clients.map((c, i) => download(c, `par${i}.bin`)));
		back.forEach((b, i) => expect(sha(b)).to.equal(sha(blobs[i])));
		clients.forEach(c => c.close());
	});

	it("round-trips a 1 MiB file with curl, and curl lists it as an ls -l line", async () => {
		const data = randomBytes(1024 * 1024);
		const file = join(server.dir, "f");
		writeFileSync(file, data);
		await run("curl", ["-sS", "-T", file, `${server.url}/`]);
		const {stdout} = await run("curl", ["-sS", "--output", "-", `${server.url}/f`], {encoding: "buffer", maxBuffer: 4 << 20});
		expect(sha(stdout)).to.equal(sha(data));
		const {stdout: listing} = await run("curl", ["-sS", `${server.url}/`]);
		expect(listing).to.match(new RegExp(`^-rw-r--r-- 1 ftp ftp +${data.length} [A-Z][a-z]{2} [ \\d]\\d (\\d\\d:\\d\\d| \\d{4}) f\\r?$`, "m"));
	});
});

describe("foundation: the image survives a restart", function () {
	this.timeout(60000);
	it("keeps an uploaded file across SIGTERM and a restart on the same image", async () => {
		const data = randomBytes(300 * 1024);
		let server = await startServer();
		const {dir, image} = server;
		let client = await connect(server);
		await upload(client, data, "keep.bin");
		client.close();
		expect((await server.stop("SIGTERM")).code).to.equal(0);
		server = await startServer({dir, image});
		try {
			client = await connect(server);
			expect(sha(await download(client, "keep.bin"))).to.equal(sha(data));
			client.close();
		}
		finally {
			await server.dispose();
		}
	});

	it("sends 421 to connected sessions on SIGTERM and exits 0", async () => {
		const server = await startServer();
		try {
			const c = await RawClient.login(server.port);
			await server.stop("SIGTERM");
			const reply = await c.reply();
			expect(reply.code).to.equal(421);
			expect((await server.exited).code).to.equal(0);
			c.close();
		}
		finally {
			await server.dispose();
		}
	});
});

describe("foundation: command line", function () {
	this.timeout(30000);
	it("exits non-zero with a one-line error and the usage on a bad option", async () => {
		const {ftpdBinary} = await import("./server.js");
		const result = await run(ftpdBinary(), ["--port", "nope"]).then(() => ({code: 0}), e => e);
		expect(result.code).to.not.equal(0);
		const lines = result.stderr.split("\n");
		expect(lines[0]).to.match(/^ftpd: --port must be/);
		expect(result.stderr).to.include("usage: ftpd");
	});
	void readFileSync;
});
