// Bad input and hostile or broken clients, with the raw control-connection client: each
// refusal has its exact code and the session (or the next one) goes on; memory stays
// bounded; sessions and the shared data channel are never left stuck; the caps and timeouts
// (--max-sessions, --login-timeout, --idle-timeout, --passive-timeout, --data-wait-timeout)
// do what they say.
import {expect} from "chai";
import net from "node:net";
import {randomBytes} from "node:crypto";
import {RawClient, readAll} from "../ftp/raw.js";
import {sha, seed, remote, residentKiB, serverPerSuite, sleep, waitForNoSessions} from "./support.js";

/** Sends PASV and connects to the announced port. */
async function passive(c) {
	const reply = await c.command("PASV");
	const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.text);
	if ((reply.code !== 227) || !m)
		throw new Error(`PASV: ${reply.text}`);
	const socket = net.connect(Number(m[5]) * 256 + Number(m[6]), m.slice(1, 5).join("."));
	socket.on("error", () => {});
	await new Promise((resolve, reject) => { socket.once("connect", resolve); socket.once("error", reject); });
	return socket;
}

/** A new session logs in and lists the root: nothing was left stuck. */
async function listWorks(server) {
	const started = Date.now();
	const c = await RawClient.login(server.port);
	try {
		const socket = await passive(c);
		const data = readAll(socket);
		expect(await c.command("LIST")).to.have.property("code", 150);
		const text = (await data).toString("utf8");
		expect((await c.reply()).code).to.equal(226);
		expect((await c.command("QUIT")).code).to.equal(221);
		return {text, ms: Date.now() - started};
	}
	finally {
		c.close();
	}
}

/** The reply after which the server closed the connection. */
async function lastReply(c, timeout = 10000) {
	const reply = await c.reply(timeout);
	const after = await c.reply(timeout);
	expect(after.closed, `after ${reply.text}: ${after.text}`).to.equal(true);
	return reply;
}

describe("bad input: lines, verbs, arguments, data-connection rules", function () {
	this.timeout(60000);
	const ctx = {};
	// a short wait for the data channel makes a channel left stuck visible as a 425 at once
	serverPerSuite(ctx, ["--image-size", String(32 * 1024 * 1024), "--data-wait-timeout", "5"]);
	const big = randomBytes(12 * 1024 * 1024);
	before(async () => {
		await seed(ctx.server, "big.bin", big);
		await seed(ctx.server, "small.txt", Buffer.from("hello\n"));
	});
	let c;
	beforeEach(async () => { c = await RawClient.login(ctx.server.port); });
	afterEach(() => c?.close());

	it("answers a line over 1024 bytes with 500 and goes on; 1024 bytes is still a line", async () => {
		expect(await c.command(`STAT ${"a".repeat(1100)}`)).to.deep.equal({code: 500, text: "500 Command line too long."});
		expect((await c.command("NOOP")).code).to.equal(200);
		// exactly 1024 bytes before CRLF: a command, refused for its path, not for its length
		const line = `CWD ${"b".repeat(1020)}`;
		expect(line.length).to.equal(1024);
		expect((await c.command(line)).code).to.equal(553);
		const line2 = `CWD ${"b".repeat(1021)}`;
		expect((await c.command(line2)).code).to.equal(500);
		expect((await c.command("PWD")).code).to.equal(257);
	});

	it("answers 100 KB lines with 500 in bounded memory and goes on", async () => {
		const before = residentKiB(ctx.server);
		for (let i = 0; i < 30; i++)
			expect((await c.command(`STOR ${"x".repeat(100 * 1024)}`)).code).to.equal(500);
		const growth = residentKiB(ctx.server) - before;
		// 3 MB of overlong lines went through; a buffer that grew with them would show here
		expect(growth, `resident memory grew by ${growth} KiB`).to.be.below(1024);
		expect((await c.command("NOOP")).code).to.equal(200);
	});

	it("answers a NUL byte with 500 and goes on", async () => {
		c.send(Buffer.from("NOOP\0x\r\n"));
		expect(await c.reply()).to.deep.equal({code: 500, text: "500 Command line rejected: NUL."});
		c.send(Buffer.from("CWD a\0b\r\n"));
		expect((await c.reply()).code).to.equal(500);
		expect((await c.command("NOOP")).code).to.equal(200);
	});

	it("answers invalid UTF-8 with 500 and goes on", async () => {
		// (0xFF is Telnet's IAC: IAC IAC is a literal 0xFF byte, never valid in UTF-8)
		for (const bytes of [[0xFF, 0xFF], [0xFE, 0x41], [0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE9, 0x74, 0xE9], [0xF4, 0x90, 0x80, 0x80]]) {
			c.send(Buffer.concat([Buffer.from("CWD "), Buffer.from(bytes), Buffer.from("\r\n")]));
			expect(await c.reply(), bytes.join(",")).to.deep.equal({code: 500, text: "500 Command line rejected: not UTF-8."});
		}
		expect((await c.command("NOOP")).code).to.equal(200);
	});

	it("ends a line at an LF right after a Telnet IAC: every line gets its reply", async () => {
		c.send(Buffer.from([...Buffer.from("NOOP"), 0xFF, 0x0A, ...Buffer.from("PWD\r\n")]));
		expect((await c.reply()).code).to.equal(200);
		expect((await c.reply()).code).to.equal(257);
		// many lines at once, each ending in an unfinished Telnet command (IAC, IAC WILL) or a
		// whole one before CRLF or LF: one reply each, in order, and nothing more
		const endings = [[0xFF, 0x0A], [0xFF, 0x0D, 0x0A], [0xFF, 0xFB, 0x0A], [0xFF, 0xF4, 0x0D, 0x0A], [0xFF, 0xFF, 0x0A], [0x0D, 0x0A]];
		const lines = [], expected = [];
		for (let i = 0; i < 300; i++) {
			const ending = endings[i % endings.length];
			const verb = ["NOOP", "PWD", "SYST"][i % 3];
			lines.push(Buffer.from(verb), Buffer.from(ending));
			// IAC IAC is a literal 0xFF: not UTF-8
			expected.push((ending[1] === 0xFF) ? 500 : {NOOP: 200, PWD: 257, SYST: 215}[verb]);
		}
		c.send(Buffer.concat(lines));
		const got = [];
		for (let i = 0; i < expected.length; i++)
			got.push((await c.reply()).code);
		expect(got).to.deep.equal(expected);
		expect((await c.command("NOOP")).code).to.equal(200);
	});

	it("answers an unknown verb with 502, a missing argument with 501, RNTO without RNFR with 503", async () => {
		expect((await c.command("FROB x")).code).to.equal(502);
		expect((await c.command("RETR")).code).to.equal(501);
		expect((await c.command("STOR")).code).to.equal(501);
		expect((await c.command("MKD")).code).to.equal(501);
		expect((await c.command("RNTO somewhere")).code).to.equal(503);
		// RNTO must come right after RNFR
		expect((await c.command("RNFR small.txt")).code).to.equal(350);
		expect((await c.command("NOOP")).code).to.equal(200);
		expect((await c.command("RNTO moved.txt")).code).to.equal(503);
		expect(await remote(ctx.server)).to.have.property("small.txt");
	});

	it("answers a transfer without PASV or PORT with 425", async () => {
		expect((await c.command("RETR small.txt")).code).to.equal(425);
		expect((await c.command("LIST")).code).to.equal(425);
		expect((await c.command("STOR new.txt")).code).to.equal(425);
		expect((await c.command("NOOP")).code).to.equal(200);
		expect(await remote(ctx.server)).not.to.have.property("new.txt");
	});

	it("refuses PORT and EPRT to another host or to a port below 1024", async () => {
		for (const line of ["PORT 10,0,0,1,200,10", "PORT 127,0,0,2,200,10", "PORT 127,0,0,1,0,21", "PORT 127,0,0,1,3,255",
			"EPRT |1|10.0.0.1|50000|", "EPRT |1|127.0.0.1|21|", "EPRT |1|127.0.0.1|1023|"]) {
			const reply = await c.command(line);
			expect(reply.code, `${line}: ${reply.text}`).to.be.within(500, 599);
		}
		// nothing was prepared: a transfer has no data connection
		expect((await c.command("LIST")).code).to.equal(425);
		// a good one is accepted
		expect((await c.command("PORT 127,0,0,1,200,10")).code).to.equal(200);
		expect((await c.command("ABOR")).code).to.equal(226);
	});

	it("after EPSV ALL refuses PASV, PORT and EPRT, and EPSV still works", async () => {
		expect((await c.command("EPSV ALL")).code).to.equal(200);
		for (const line of ["PASV", "PORT 127,0,0,1,200,10", "EPRT |1|127.0.0.1|50000|"]) {
			const reply = await c.command(line);
			expect(reply.code, `${line}: ${reply.text}`).to.be.within(500, 599);
		}
		const epsv = await c.command("EPSV");
		expect(epsv.text).to.match(/^229 Entering Extended Passive Mode \(\|\|\|\d+\|\)$/);
		const socket = net.connect(Number(/\|\|\|(\d+)\|/.exec(epsv.text)[1]), "127.0.0.1");
		const data = readAll(socket);
		expect((await c.command("NLST")).code).to.equal(150);
		expect((await data).toString()).to.include("small.txt\r\n");
		expect((await c.reply()).code).to.equal(226);
	});

	it("leaves nothing stuck when a client drops in the middle of a command line", async () => {
		c.send(Buffer.from("RETR big.b"));
		await sleep(100);
		c.close();
		const other = await RawClient.login(ctx.server.port);
		other.send(Buffer.from("PASV"));
		other.close();
		const {text, ms} = await listWorks(ctx.server);
		expect(text).to.include(" big.bin\r\n");
		expect(ms).to.be.below(3000);
	});

	it("leaves nothing stuck when a client drops in the middle of a download", async () => {
		const socket = await passive(c);
		let received = 0;
		socket.on("data", chunk => { received += chunk.length; });
		expect((await c.command("RETR big.bin")).code).to.equal(150);
		while (received < 512 * 1024)
			await sleep(5);
		socket.destroy();
		c.close();
		const {text, ms} = await listWorks(ctx.server);
		expect(text).to.include(" big.bin\r\n");
		expect(ms).to.be.below(3000);
	});

	it("leaves nothing stuck, and no partial file, when a client drops in the middle of an upload", async () => {
		const socket = await passive(c);
		expect((await c.command("STOR partial.bin")).code).to.equal(150);
		socket.write(randomBytes(300 * 1024));
		await sleep(200);
		// a reset, not an end of file: the upload is incomplete
		socket.resetAndDestroy();
		c.close();
		const {text, ms} = await listWorks(ctx.server);
		expect(text).not.to.include("partial.bin");
		expect(ms).to.be.below(3000);
		expect(await remote(ctx.server)).not.to.have.property("partial.bin");
	});

	it("answers 426 when the client closes the data connection of a download, and goes on", async () => {
		const socket = await passive(c);
		let received = 0;
		socket.on("data", chunk => {
			received += chunk.length;
			// stop reading: the server must still be sending when the connection goes (with the
			// client reading on, a loaded machine's socket buffers can take the whole file first)
			if (received >= 256 * 1024)
				socket.pause();
		});
		expect((await c.command("RETR big.bin")).code).to.equal(150);
		while (received < 256 * 1024)
			await sleep(5);
		socket.destroy();
		const reply = await c.reply();
		expect(reply.code, reply.text).to.equal(426);
		expect((await c.command("NOOP")).code).to.equal(200);
		expect((await listWorks(ctx.server)).text).to.include(" big.bin\r\n");
	});

	it("answers ABOR during a large RETR with 426, then 226, and goes on", async () => {
		const socket = await passive(c);
		let received = 0, stopped = false;
		socket.on("data", chunk => {
			received += chunk.length;
			// a client that stops reading: the server is still sending when ABOR comes
			if ((received >= 256 * 1024) && !stopped) {
				stopped = true;
				socket.pause();
			}
		});
		const closed = new Promise(resolve => socket.on("close", resolve));
		expect((await c.command("RETR big.bin")).code).to.equal(150);
		while (received < 256 * 1024)
			await sleep(5);
		c.send("ABOR");
		expect((await c.reply()).code).to.equal(426);
		expect((await c.reply()).code).to.equal(226);
		socket.resume();
		await closed;
		expect(received).to.be.below(big.length);
		expect((await c.command("NOOP")).code).to.equal(200);
		// and the session's next transfer works
		const again = await passive(c);
		const data = readAll(again);
		expect((await c.command("RETR big.bin")).code).to.equal(150);
		expect(sha(await data)).to.equal(sha(big));
		expect((await c.reply()).code).to.equal(226);
	});
});

describe("bad input: --max-sessions", function () {
	this.timeout(30000);
	const ctx = {};
	serverPerSuite(ctx, ["--max-sessions", "2"]);

	it("answers a session over the cap with 421 at connect and closes it; a freed place is given again", async () => {
		const a = await RawClient.login(ctx.server.port);
		const b = await RawClient.connect(ctx.server.port);
		expect((await b.reply()).code).to.equal(220);
		const extra = await RawClient.connect(ctx.server.port);
		const refused = await lastReply(extra);
		expect(refused.code, refused.text).to.equal(421);
		// the two sessions are unharmed
		expect((await a.command("NOOP")).code).to.equal(200);
		expect((await b.command("USER anonymous")).code).to.equal(331);
		expect((await a.command("QUIT")).code).to.equal(221);
		a.close();
		await sleep(200);
		const next = await RawClient.login(ctx.server.port);
		expect((await next.command("NOOP")).code).to.equal(200);
		next.close();
		b.close();
	});
});

describe("bad input: --login-timeout and --idle-timeout", function () {
	this.timeout(30000);
	const ctx = {};
	serverPerSuite(ctx, ["--login-timeout", "1", "--idle-timeout", "1.5"]);

	it("ends a session that does not log in with 421 after the login timeout", async () => {
		const c = await RawClient.connect(ctx.server.port);
		const started = Date.now();
		expect((await c.reply()).code).to.equal(220);
		const reply = await lastReply(c, 5000);
		expect(reply.code, reply.text).to.equal(421);
		expect(Date.now() - started).to.be.within(800, 2500);
	});

	it("counts the login timeout from the connection: commands before login do not extend it", async () => {
		const c = await RawClient.connect(ctx.server.port);
		const started = Date.now();
		expect((await c.reply()).code).to.equal(220);
		let reply;
		while (Date.now() - started < 4000) {
			reply = await c.command("NOOP", 5000);
			if (reply.code !== 200)
				break;
			await sleep(200);
		}
		expect(reply.code, reply.text).to.equal(421);
		expect(Date.now() - started).to.be.within(800, 2500);
		c.close();
	});

	it("ends an idle session with 421 after the idle timeout; commands keep it alive", async () => {
		const c = await RawClient.login(ctx.server.port);
		const started = Date.now();
		for (let i = 0; i < 6; i++) {
			await sleep(500);
			expect((await c.command("NOOP")).code).to.equal(200);
		}
		expect(Date.now() - started).to.be.above(2900);
		const idleFrom = Date.now();
		const reply = await lastReply(c, 5000);
		expect(reply.code, reply.text).to.equal(421);
		expect(Date.now() - idleFrom).to.be.within(1300, 3000);
	});

	it("does not count a transfer that outlasts the idle timeout as idle time", async () => {
		const c = await RawClient.login(ctx.server.port);
		const data = randomBytes(256 * 1024);
		// an upload whose client pauses mid-way for twice the idle timeout
		let socket = await passive(c);
		expect((await c.command("STOR slow.bin")).code).to.equal(150);
		socket.write(data.subarray(0, 1000));
		await sleep(3000);
		socket.end(data.subarray(1000));
		expect((await c.reply(10000)).code).to.equal(226);
		expect((await c.command("NOOP")).code).to.equal(200);
		socket = await passive(c);
		expect((await c.command("RETR slow.bin")).code).to.equal(150);
		expect(sha(await readAll(socket))).to.equal(sha(data));
		expect((await c.reply(10000)).code).to.equal(226);
		expect((await c.command("DELE slow.bin")).code).to.equal(250);
		c.close();
	});
});

describe("bad input: failed logins", function () {
	this.timeout(30000);
	const ctx = {};
	serverPerSuite(ctx, ["--user", "u", "--password", "p"]);

	it("answers a wrong password after about 1 s, and closes the session at the 3rd failure", async () => {
		const c = await RawClient.connect(ctx.server.port);
		expect((await c.reply()).code).to.equal(220);
		for (let i = 1; i <= 3; i++) {
			expect((await c.command("USER u")).code).to.equal(331);
			const started = Date.now();
			const reply = await c.command("PASS wrong", 5000);
			expect(Date.now() - started, `failure ${i}`).to.be.within(900, 2500);
			if (i < 3)
				expect(reply.code, reply.text).to.equal(530);
			else {
				expect(reply.code, reply.text).to.equal(421);
				expect((await c.reply()).closed).to.equal(true);
			}
		}
		// anonymous is off with an account
		const d = await RawClient.connect(ctx.server.port);
		expect((await d.reply()).code).to.equal(220);
		expect((await d.command("USER anonymous")).code).to.equal(331);
		expect((await d.command("PASS x@")).code).to.equal(530);
		expect((await d.command("USER u")).code).to.equal(331);
		expect((await d.command("PASS p")).code).to.equal(230);
		d.close();
	});
});

describe("bad input: anonymous read-only", function () {
	this.timeout(30000);
	const ctx = {};
	// a short data-channel wait shows a channel a refused command kept
	serverPerSuite(ctx, ["--user", "u", "--password", "p", "--anonymous", "read", "--data-wait-timeout", "2", "--passive-timeout", "30"]);
	const data = randomBytes(64 * 1024);
	before(async () => {
		const c = await RawClient.login(ctx.server.port, "u", "p");
		expect((await c.command("MKD dir")).code).to.equal(257);
		const socket = await passive(c);
		expect((await c.command("STOR f.bin")).code).to.equal(150);
		socket.end(data);
		expect((await c.reply()).code).to.equal(226);
		c.close();
	});

	it("refuses STOR, APPE, DELE, MKD, RMD, RNFR with 550, and allows RETR and LIST", async () => {
		const c = await RawClient.login(ctx.server.port, "anonymous", "guest@");
		for (const line of ["STOR g.bin", "APPE f.bin", "STOU", "DELE f.bin", "MKD new", "RMD dir", "RNFR f.bin", "MFMT 20200101000000 f.bin"])
			expect((await c.command(line)).code, line).to.equal(550);
		const socket = await passive(c);
		const bytes = readAll(socket);
		expect((await c.command("RETR f.bin")).code).to.equal(150);
		expect(sha(await bytes)).to.equal(sha(data));
		expect((await c.reply()).code).to.equal(226);
		const listing = await passive(c);
		const text = readAll(listing);
		expect((await c.command("LIST")).code).to.equal(150);
		expect((await text).toString()).to.match(/^-r--r--r-- 1 ftp ftp +65536 .* f\.bin\r$/m);
		expect((await c.reply()).code).to.equal(226);
		c.close();
		expect(await remote(ctx.server)).to.have.keys("dir", "f.bin");
	});

	it("gives the data channel back when a refused STOR follows PASV", async () => {
		const c = await RawClient.login(ctx.server.port, "anonymous", "guest@");
		expect((await c.command("PASV")).code).to.equal(227);
		expect((await c.command("STOR g.bin")).code).to.equal(550);
		// another session gets the channel at once, not after the 30 s passive timeout
		const d = await RawClient.login(ctx.server.port, "anonymous", "guest@");
		const reply = await d.command("PASV");
		expect(reply.code, reply.text).to.equal(227);
		c.close();
		d.close();
	});
});

describe("bad input: --passive-timeout", function () {
	this.timeout(30000);
	const ctx = {};
	serverPerSuite(ctx, ["--passive-timeout", "1", "--data-wait-timeout", "10"]);

	it("releases a PASV nobody connects to after the passive timeout; the next session's PASV is then granted", async () => {
		await waitForNoSessions(ctx.server);
		const a = await RawClient.login(ctx.server.port);
		const b = await RawClient.login(ctx.server.port);
		const started = Date.now();
		expect((await a.command("PASV")).code).to.equal(227);
		const granted = await b.command("PASV", 15000);
		expect(granted.code, granted.text).to.equal(227);
		expect(Date.now() - started).to.be.within(800, 5000);
		// a's listener is gone: its transfer has no data connection
		expect((await a.command("LIST", 15000)).code).to.equal(425);
		a.close();
		b.close();
	});
});

describe("bad input: --data-wait-timeout", function () {
	this.timeout(30000);
	const ctx = {};
	serverPerSuite(ctx, ["--data-wait-timeout", "1", "--passive-timeout", "30"]);

	it("answers 425 to a session that waits for the data channel longer than the data-wait timeout", async () => {
		await waitForNoSessions(ctx.server);
		const a = await RawClient.login(ctx.server.port);
		const b = await RawClient.login(ctx.server.port);
		const socket = await passive(a);
		const started = Date.now();
		const refused = await b.command("PASV", 10000);
		expect(refused.code, refused.text).to.equal(425);
		expect(Date.now() - started).to.be.within(800, 4000);
		// the holder's transfer is unharmed, and the channel is free after it
		const listing = readAll(socket);
		expect((await a.command("NLST")).code).to.equal(150);
		await listing;
		expect((await a.reply()).code).to.equal(226);
		expect((await b.command("PASV")).code).to.equal(227);
		a.close();
		b.close();
	});
});
