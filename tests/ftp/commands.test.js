// Every verb of the command table answers as the RFCs and CLIENTS.md say, on the XS host:
// the aliases, the status and help verbs, FEAT generated from the table, MLST, STOU, APPE,
// REST, REIN, and the TLS verbs refused cleanly.
import {expect} from "chai";
import {randomBytes, createHash} from "node:crypto";
import {startServer} from "./server.js";
import {RawClient, readAll} from "./raw.js";

const sha = data => createHash("sha256").update(data).digest("hex");

async function stor(c, verb, bytes) {
	const data = await c.passive();
	const opening = await c.command(verb);
	if (opening.code !== 150) {
		data.destroy();
		return {opening};
	}
	data.end(bytes);
	return {opening, done: await c.reply()};
}

async function retr(c, verb) {
	const data = await c.passive();
	const opening = await c.command(verb);
	if (opening.code !== 150) {
		data.destroy();
		return {opening};
	}
	const bytes = await readAll(data);
	return {opening, bytes, done: await c.reply()};
}

describe("commands: the whole table", function () {
	this.timeout(60000);
	let server, c;
	before(async () => { server = await startServer(); });
	after(async () => { await server?.dispose(); });
	// a session per test: one left mid-reply or logged out by a failure does not touch the next
	beforeEach(async () => { c = await RawClient.login(server.port); });
	afterEach(() => c?.close());

	it("HELP lists every verb of the table, and HELP <verb> gives its syntax", async () => {
		const help = await c.command("HELP");
		expect(help.code).to.equal(214);
		for (const verb of ["USER", "PASS", "RETR", "STOR", "STOU", "APPE", "MLSD", "MLST", "EPSV", "EPRT", "XPWD", "XCUP", "MFMT", "REIN", "ABOR"])
			expect(help.text, verb).to.match(new RegExp(`\\b${verb}\\b`));
		expect((await c.command("HELP retr")).text).to.equal("214 Syntax: RETR <path>");
		expect((await c.command("HELP NOPE")).code).to.equal(502);
	});

	it("FEAT lists only features whose commands work", async () => {
		const feat = (await c.command("FEAT")).text.split("\n").slice(1, -1).map(l => l.trim());
		expect(feat).to.include.members(["UTF8", "SIZE", "MDTM", "MFMT", "REST STREAM", "EPSV", "EPRT", "TVFS", "AVBL"]);
		expect(feat.some(f => f.startsWith("MLST "))).to.equal(true);
		expect(feat).not.to.include("AUTH TLS");
		for (const f of feat) {
			const verb = f.split(" ")[0];
			if (["UTF8", "TVFS", "MLST", "REST"].includes(verb))
				continue;
			expect((await c.command(`HELP ${verb}`)).code, `${verb} is in FEAT and in the table`).to.equal(214);
		}
	});

	it("answers the X aliases of RFC 775 like their verbs", async () => {
		expect((await c.command('XMKD al "q"')).text).to.equal('257 "/al ""q""" created.');
		expect((await c.command('XCWD al "q"')).code).to.equal(250);
		expect((await c.command("XPWD")).text).to.equal('257 "/al ""q""" is the current directory.');
		expect((await c.command("XCUP")).code).to.equal(250);
		expect((await c.command("PWD")).text).to.equal('257 "/" is the current directory.');
		expect((await c.command('XRMD al "q"')).code).to.equal(250);
	});

	it("accepts TYPE A, I, L 8 and refuses the others; MODE S, STRU F only; ALLO and ACCT are harmless", async () => {
		for (const type of ["A", "I", "L 8", "a", "A N"])
			expect((await c.command(`TYPE ${type}`)).code, type).to.equal(200);
		expect((await c.command("TYPE E")).code).to.equal(504);
		expect((await c.command("MODE S")).code).to.equal(200);
		expect((await c.command("MODE B")).code).to.equal(504);
		expect((await c.command("STRU F")).code).to.equal(200);
		expect((await c.command("STRU R")).code).to.equal(504);
		expect((await c.command("ALLO 1000")).code).to.equal(202);
		expect((await c.command("ACCT x")).code).to.equal(202);
		expect((await c.command("TYPE")).code).to.equal(501);
	});

	it("refuses AUTH, PBSZ and PROT cleanly without TLS, and the session goes on", async () => {
		expect((await c.command("AUTH TLS")).code).to.equal(502);
		expect((await c.command("PBSZ 0")).code).to.equal(503);
		expect((await c.command("PROT P")).code).to.equal(503);
		expect((await c.command("NOOP")).code).to.equal(200);
	});

	it("answers OPTS UTF8 and OPTS MLST, and refuses unknown options", async () => {
		expect((await c.command("OPTS UTF8 ON")).code).to.equal(200);
		expect((await c.command("OPTS UTF8 OFF")).code).to.equal(200);
		expect((await c.command("OPTS MLST type;size;")).code).to.equal(200);
		expect((await c.command("OPTS FOO")).code).to.equal(501);
	});

	it("MLST gives one file's facts on the control connection (RFC 3659 7)", async () => {
		const bytes = randomBytes(1234);
		expect((await stor(c, "STOR m.bin", bytes)).done.code).to.equal(226);
		const mlst = await c.command("MLST m.bin");
		expect(mlst.code).to.equal(250);
		const lines = mlst.text.split("\n");
		expect(lines).to.have.length(3);
		expect(lines[1]).to.match(/^ type=file;size=1234;modify=\d{14};perm=[a-z]+; \/m\.bin$/);
		expect((await c.command("MLST /")).text.split("\n")[1]).to.match(/^ type=dir;/);
		expect((await c.command("MLST nothing")).code).to.equal(550);
	});

	it("STAT tells the session's state; STAT <path> lists over the control connection", async () => {
		expect((await c.command("MKD statdir")).code).to.equal(257);
		expect((await stor(c, "STOR statdir/s.bin", randomBytes(4321))).done.code).to.equal(226);
		const stat = await c.command("STAT");
		expect(stat.code).to.equal(211);
		expect(stat.text).to.include("Connected from 127.0.0.1");
		const listing = await c.command("STAT /statdir");
		expect(listing.code).to.equal(213);
		expect(listing.text).to.match(/\n -rw-r--r-- 1 ftp ftp +4321 .* s\.bin\n/);
		expect(listing.text.split("\n")).to.have.length(3);
		expect((await c.command("STAT /")).text).to.match(/\n drwx.* statdir\n/);
	});

	it("STOU stores under a new name given in the 150 reply (RFC 1123 4.1.2.9)", async () => {
		const bytes = randomBytes(5000);
		const {opening, done} = await stor(c, "STOU", bytes);
		expect(done.code).to.equal(226);
		const name = /^150 FILE: (\S+)$/.exec(opening.text)?.[1];
		expect(name, opening.text).to.be.a("string");
		expect(sha((await retr(c, `RETR ${name}`)).bytes)).to.equal(sha(bytes));
		const again = await stor(c, "STOU", bytes);
		expect(/^150 FILE: (\S+)$/.exec(again.opening.text)[1]).not.to.equal(name);
	});

	it("APPE appends; REST + RETR resumes; REST beyond the end and a bad REST are refused", async () => {
		const a = randomBytes(3000), b = randomBytes(2000);
		await stor(c, "STOR ap.bin", a);
		expect((await stor(c, "APPE ap.bin", b)).done.code).to.equal(226);
		const whole = Buffer.concat([a, b]);
		expect(sha((await retr(c, "RETR ap.bin")).bytes)).to.equal(sha(whole));
		expect((await c.command("REST 4000")).code).to.equal(350);
		expect(sha((await retr(c, "RETR ap.bin")).bytes)).to.equal(sha(whole.subarray(4000)));
		expect((await c.command("REST 0")).code).to.equal(350);
		expect((await c.command("REST -1")).code).to.equal(501);
		expect((await c.command("REST 99999")).code).to.equal(350);
		expect((await retr(c, "RETR ap.bin")).opening.code).to.equal(554);
		expect((await c.command("APPE /nowhere/x")).code).to.equal(550);
	});

	it("RNFR/RNTO renames, replaces a file, refuses a folder as target, and needs RNFR right before", async () => {
		await stor(c, "STOR r1", Buffer.from("one"));
		await stor(c, "STOR r2", Buffer.from("two"));
		expect((await c.command("MKD rdir")).code).to.equal(257);
		expect((await c.command("RNFR r1")).code).to.equal(350);
		expect((await c.command("RNTO rdir")).code).to.equal(550);
		expect((await c.command("RNFR r1")).code).to.equal(350);
		expect((await c.command("NOOP")).code).to.equal(200);
		expect((await c.command("RNTO r2")).code).to.equal(503);
		expect((await c.command("RNFR r1")).code).to.equal(350);
		expect((await c.command("RNTO r2")).code).to.equal(250);
		expect((await retr(c, "RETR r2")).bytes.toString()).to.equal("one");
		expect((await c.command("SIZE r1")).code).to.equal(550);
		expect((await c.command("RNFR missing")).code).to.equal(550);
	});

	it("refuses CWD into a file and SIZE of a folder", async () => {
		expect((await stor(c, "STOR cwdfile", Buffer.from("file"))).done.code).to.equal(226);
		expect((await c.command("MKD cwddir")).code).to.equal(257);
		expect((await c.command("CWD cwdfile")).code).to.equal(550);
		expect((await c.command("PWD")).text).to.equal('257 "/" is the current directory.');
		expect((await c.command("SIZE cwddir")).code).to.equal(550);
		expect((await c.command("CWD cwddir/")).code).to.equal(250);
		expect((await c.command("PWD")).text).to.equal('257 "/cwddir" is the current directory.');
		expect((await c.command("CWD ..")).code).to.equal(250);
		expect((await c.command("PWD")).text).to.equal('257 "/" is the current directory.');
	});

	it("REIN logs out and keeps the connection; USER/PASS logs in again", async () => {
		expect((await c.command("REIN")).code).to.equal(220);
		expect((await c.command("PWD")).code).to.equal(530);
		expect((await c.command("USER anonymous")).code).to.equal(331);
		expect((await c.command("PASS x@")).code).to.equal(230);
		expect((await c.command("PWD")).code).to.equal(257);
	});

	it("sends listings with CRLF line ends in both types", async () => {
		for (const type of ["A", "I"]) {
			await c.command(`TYPE ${type}`);
			const {bytes} = await retr(c, "LIST");
			const text = bytes.toString();
			expect(text.endsWith("\r\n")).to.equal(true);
			expect(text.replaceAll("\r\n", "")).not.to.include("\n");
		}
	});
});

describe("commands: the paths every command takes, across collections", function () {
	this.timeout(180000);
	let server;
	before(async () => { server = await startServer(); });
	after(async () => { await server?.dispose(); });

	// What a command keeps from one command to the next must survive the collector: module
	// objects made at load (frozen in a preloaded module, and not scanned by the collector) must
	// hold no state a command writes. A regular expression made at load did: its match state
	// was collected, and the host crashed (SIGSEGV) on a later command, after a few hundred
	// uploads and renames had churned the heap.
	it("uploads, resolves plain names, paths and odd names between collections, 300 times, and the host lives on", async () => {
		const c = await RawClient.login(server.port);
		expect((await c.command("MKD /gc")).code).to.equal(257);
		for (let i = 0; i < 300; i++) {
			const name = `/gc/file-${i}-${"n".repeat(i % 97)}`;
			expect((await stor(c, `STOR ${name}`, Buffer.alloc((i * 7919) % 5000, 0x61))).done?.code, `round ${i}`).to.equal(226);
			expect((await c.command(`MFMT 20200101000000 ${name}`)).code, `round ${i}`).to.equal(213);
			expect((await c.command("SIZE /./gc/../gc/file-0-")).code, `round ${i}`).to.equal(213);
			expect((await c.command("SIZE a\\b")).code, `round ${i}`).to.equal(550);
			if (!(i % 10))
				expect((await c.command("SITE FREE")).code, `round ${i}`).to.equal(211);
		}
		expect(server.proc.exitCode).to.equal(null);
		c.close();
	});
});
