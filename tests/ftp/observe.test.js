// A server you can watch: at verbosity 1 one log line per transfer (session, user, verb, path,
// bytes, duration, rate, outcome), at 2 every command and reply with the session's number and
// address (continuation lines of multi-line replies too), and SITE WHO's progress of a
// transfer under way (path, bytes so far, size, rate), on the XS host.
import {expect} from "chai";
import {randomBytes} from "node:crypto";
import {startServer} from "./server.js";
import {RawClient, readAll} from "./raw.js";

const USER = "admin", PASSWORD = "secret";
const MiB = 1024 * 1024;
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
/** A log line's start: "ftpd: ", then on a terminal a level word ("info: ", "warning: "); xsbug's tags come before it. */
const LINE = "ftpd: (?:info: |warning: |error: )?";

/** The part of the log from `mark` once `pattern` appears in it (polled: the log is a pipe). */
async function logged(server, mark, pattern, ms = 10000) {
	const end = Date.now() + ms;
	for (;;) {
		const text = server.stderr.slice(mark);
		if (pattern.test(text))
			return text;
		if (Date.now() > end)
			throw new Error(`no ${pattern} in the log in ${ms} ms:\n${text}`);
		await sleep(20);
	}
}

/** Logs in on the account and returns the client and the session's number from the log. */
async function login(server) {
	const mark = server.stderr.length;
	const client = await RawClient.login(server.port, USER, PASSWORD);
	const text = await logged(server, mark, /#\d+ 127\.0\.0\.1: admin logged in/);
	const id = Number(/#(\d+) 127\.0\.0\.1: admin logged in/.exec(text)[1]);
	return {client, id};
}

async function store(client, name, bytes) {
	const data = await client.passive();
	expect((await client.command(`STOR ${name}`)).code).to.equal(150);
	data.end(bytes);
	expect((await client.reply()).code).to.equal(226);
}

/** "1.5 MB/s" in bytes per second; also checks the unit is one of ours. */
function rateOf(text) {
	const m = /^([\d.]+) (B|kB|MB)\/s$/.exec(text);
	expect(m, `rate "${text}"`).to.not.equal(null);
	return Number(m[1]) * {B: 1, kB: 1e3, MB: 1e6}[m[2]];
}

/** The transfer line of `verb path` in `text`: {id, user, bytes, seconds, rate, outcome}. */
function transferLine(text, verb, path) {
	const escaped = path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
	const re = new RegExp(`${LINE}#(\\d+) 127\\.0\\.0\\.1 (\\S+) ${verb} ${escaped}: (\\d+) bytes in (\\d+\\.\\d{3}) s \\(([^)]+)\\), (\\d{3})(?: (.*))?$`, "m");
	const m = re.exec(text);
	expect(m, `no ${verb} ${path} line in:\n${text}`).to.not.equal(null);
	return {id: Number(m[1]), user: m[2], bytes: Number(m[3]), seconds: Number(m[4]), rate: m[5], code: Number(m[6]), cause: m[7]};
}

describe("A server you can watch: transfer log, session ids, SITE WHO progress", function () {
	this.timeout(120000);
	let server;
	before(async () => {
		server = await startServer({args: ["--user", USER, "--password", PASSWORD, "--anonymous", "off", "--image-size", String(48 * MiB)]});
	});
	after(async () => { await server?.dispose(); });

	it("verbosity 1: one line per RETR and STOR, with session, user, path, bytes, duration, rate and 226; listings and commands are not logged", async () => {
		const {client: c, id} = await login(server);
		expect((await c.command("SITE VERBOSE 1")).code).to.equal(200);
		await c.command("TYPE I");
		expect((await c.command("MKD /watch")).code).to.equal(257);
		const mark = server.stderr.length;
		const bytes = randomBytes(300000);
		await store(c, "/watch/up.bin", bytes);
		const data = await c.passive();
		expect((await c.command("RETR /watch/up.bin")).code).to.equal(150);
		expect((await readAll(data)).equals(bytes)).to.equal(true);
		expect((await c.reply()).code).to.equal(226);
		const list = await c.passive();
		expect((await c.command("LIST /watch")).code).to.equal(150);
		await readAll(list);
		expect((await c.reply()).code).to.equal(226);
		const text = await logged(server, mark, /RETR \/watch\/up\.bin: /);

		for (const verb of ["STOR", "RETR"]) {
			const line = transferLine(text, verb, "/watch/up.bin");
			expect(line).to.include({id, user: USER, bytes: 300000, code: 226});
			expect(line.cause).to.equal(undefined);
			// the rate is the bytes over the duration (rounded to 0.1 of its unit, the duration to 1 ms)
			if (line.seconds >= 0.01)
				expect(rateOf(line.rate)).to.be.closeTo(300000 / line.seconds, 300000 / line.seconds * 0.15);
			else if (line.rate !== "-")
				expect(rateOf(line.rate)).to.be.above(0);
		}
		// one line each, no listing line, no command or reply
		expect(text.match(/STOR \/watch\/up\.bin: /g)).to.have.length(1);
		expect(text).to.not.match(/ LIST /);
		expect(text).to.not.match(/ [<>] /);
		expect((await c.command("SITE VERBOSE 2")).code).to.equal(200);
		c.close();
	});

	it("verbosity 1: a download ended by ABOR and an upload whose data connection is reset are logged with their code and cause", async () => {
		const {client: c, id} = await login(server);
		expect((await c.command("SITE VERBOSE 1")).code).to.equal(200);
		await c.command("TYPE I");
		await store(c, "/big.bin", randomBytes(24 * MiB));
		const mark = server.stderr.length;

		// a download the client does not read: the socket buffers fill, then ABOR
		const data = await c.passive();
		data.pause();
		expect((await c.command("RETR /big.bin")).code).to.equal(150);
		await sleep(200);
		expect((await c.command("ABOR")).code).to.equal(426);
		expect((await c.reply()).code).to.equal(226);
		data.destroy();
		let text = await logged(server, mark, /RETR \/big\.bin: /);
		const aborted = transferLine(text, "RETR", "/big.bin");
		expect(aborted).to.include({id, user: USER, code: 426, cause: "aborted by ABOR"});
		expect(aborted.bytes).to.be.above(0).and.below(24 * MiB);

		// an upload reset by its client part way: the old file stays, the log says why
		const upload = await c.passive();
		expect((await c.command("STOR /big.bin")).code).to.equal(150);
		await new Promise(resolve => upload.write(randomBytes(200000), resolve));
		await sleep(100);
		upload.resetAndDestroy();
		const failed = await c.reply();
		expect(failed.code).to.equal(426);
		text = await logged(server, mark, /STOR \/big\.bin: /);
		const reset = transferLine(text, "STOR", "/big.bin");
		expect(reset).to.include({id, user: USER, code: 426});
		expect(reset.cause).to.match(/^ECONNRESET: /);
		expect(reset.bytes).to.be.at.most(200000);
		expect((await c.command("SIZE /big.bin")).text).to.equal(`213 ${24 * MiB}`);
		expect((await c.command("SITE VERBOSE 2")).code).to.equal(200);
		c.close();
	});

	it("verbosity 2: every command and reply line carries the session's number and address, continuation lines too", async () => {
		const mark = server.stderr.length;
		const {client: a, id: first} = await login(server);
		const {client: b, id: second} = await login(server);
		expect(second).to.not.equal(first);
		expect((await a.command("NOOP")).code).to.equal(200);
		const help = await b.command("SITE HELP");
		expect(help.code).to.equal(214);
		const text = await logged(server, mark, new RegExp(`#${second} 127\\.0\\.0\\.1 < 214 End\\.`));

		expect(text).to.match(new RegExp(`^ftpd: #${first} 127\\.0\\.0\\.1 > NOOP$`, "m"));
		expect(text).to.match(new RegExp(`^ftpd: #${first} 127\\.0\\.0\\.1 < 200 `, "m"));
		expect(text).to.match(new RegExp(`^ftpd: #${second} 127\\.0\\.0\\.1 > SITE HELP$`, "m"));
		// each line of the multi-line reply, as on the wire, after the prefix
		const replyLines = help.text.split("\n");
		expect(replyLines.length).to.be.above(3);
		for (const line of replyLines)
			expect(text).to.include(`ftpd: #${second} 127.0.0.1 < ${line}\n`);
		// and no line of the log, whatever it says, goes without its session (but the server's own)
		for (const line of text.split("\n").filter(Boolean))
			expect(line).to.match(new RegExp(`${LINE}#\\d+ 127\\.0\\.0\\.1[ :]`));
		a.close();
		b.close();
	});

	it("SITE WHO: a download under way shows its path, bytes so far, size and rate; an upload its bytes and an unknown size", async () => {
		const {client: c, id} = await login(server);
		const {client: watcher} = await login(server);
		await c.command("TYPE I");
		const size = 24 * MiB;
		if ((await c.command("SIZE /big.bin")).code !== 213)
			await store(c, "/big.bin", randomBytes(size));

		// a slow client: it reads nothing until the second look
		const data = await c.passive();
		data.pause();
		expect((await c.command("RETR /big.bin")).code).to.equal(150);
		await sleep(300);
		const who = line => new RegExp(`^ #${id} 127\\.0\\.0\\.1 user=admin idle=\\d+s transfer=RETR bytes=(\\d+) size=(\\d+|-) time=(\\d+)s rate=(\\d+)B/s path=(.*)$`, "m").exec(line);
		const first = who((await watcher.command("SITE WHO")).text);
		expect(first, "SITE WHO during the download").to.not.equal(null);
		expect(first[5]).to.equal("/big.bin");
		expect(Number(first[2])).to.equal(size);
		const before = Number(first[1]);
		expect(before).to.be.above(0).and.below(size);

		// it reads a few MiB: the bytes moved grow, and the rate is theirs over the time so far
		let read = 0, holding = true;
		data.on("data", chunk => {
			read += chunk.length;
			if (holding && (read > 8 * MiB))
				data.pause();
		});
		data.resume();
		while (read <= 8 * MiB)
			await sleep(20);
		const second = who((await watcher.command("SITE WHO")).text);
		expect(second, "SITE WHO later").to.not.equal(null);
		const after = Number(second[1]);
		expect(after).to.be.above(before).and.at.least(8 * MiB);
		expect(Number(second[4])).to.be.above(0);
		expect(Number(second[4])).to.be.at.most(after / Math.max(Number(second[3]), 0.001) + 1);

		// the rest: the transfer ends and SITE WHO says none
		holding = false;
		data.resume();
		await new Promise(resolve => data.on("end", resolve));
		expect((await c.reply()).code).to.equal(226);
		expect((await watcher.command("SITE WHO")).text).to.match(new RegExp(`^ #${id} 127\\.0\\.0\\.1 user=admin idle=\\d+s transfer=none$`, "m"));

		// an upload: no size known; the bytes it has received so far
		const upload = await c.passive();
		expect((await c.command("STOR /up2.bin")).code).to.equal(150);
		await new Promise(resolve => upload.write(randomBytes(100000), resolve));
		let during;
		for (let tries = 0; tries < 50; tries++) {
			during = /transfer=STOR bytes=(\d+) size=- time=\d+s rate=\d+B\/s path=\/up2\.bin$/m.exec((await watcher.command("SITE WHO")).text);
			if (during && (Number(during[1]) === 100000))
				break;
			await sleep(50);
		}
		expect(during?.[1]).to.equal("100000");
		upload.end();
		expect((await c.reply()).code).to.equal(226);
		c.close();
		watcher.close();
	});
});
