// SITE: HELP, VERBOSE (the account only), WHO, DF and FREE, on the XS host.
import {expect} from "chai";
import {randomBytes} from "node:crypto";
import {startServer} from "./server.js";
import {RawClient} from "./raw.js";

const USER = "admin", PASSWORD = "secret";
const MiB = 1024 * 1024;

describe("SITE commands", function () {
	this.timeout(60000);
	let server;
	before(async () => {
		server = await startServer({args: ["--user", USER, "--password", PASSWORD, "--anonymous", "read"]});
	});
	after(async () => { await server?.dispose(); });

	it("lists its subcommands in SITE HELP, and HELP knows SITE", async () => {
		const c = await RawClient.login(server.port, "anonymous", "x@y");
		const help = await c.command("SITE HELP");
		expect(help.code).to.equal(214);
		for (const name of ["HELP", "VERBOSE [0|1|2]", "WHO", "DF", "FREE"])
			expect(help.text).to.include(`\n SITE ${name}: `);
		expect(help.text).to.match(/SITE VERBOSE .*\(the server's account only\)/);
		expect((await c.command("HELP")).text).to.match(/\bSITE\b/);
		expect(await c.command("HELP SITE")).to.include({code: 214, text: "214 Syntax: SITE <command> (SITE HELP lists them)"});
		c.close();
	});

	it("answers 530 before login, 501 without a subcommand, 504 to an unknown one", async () => {
		const c = await RawClient.connect(server.port);
		await c.reply();
		expect((await c.command("SITE HELP")).code).to.equal(530);
		c.close();
		const d = await RawClient.login(server.port, USER, PASSWORD);
		expect((await d.command("SITE")).code).to.equal(501);
		expect(await d.command("SITE XYZZY")).to.include({code: 504, text: "504 SITE command not understood (SITE HELP lists them)."});
		d.close();
	});

	it("SITE VERBOSE: 550 for an anonymous user; the account reads and sets the log's verbosity", async () => {
		const guest = await RawClient.login(server.port, "anonymous", "x@y");
		expect(await guest.command("SITE VERBOSE 0")).to.include({code: 550, text: "550 SITE VERBOSE is for the server's account only."});
		guest.close();

		const c = await RawClient.login(server.port, USER, PASSWORD);
		expect(await c.command("SITE VERBOSE")).to.include({code: 200, text: "200 Verbosity is 2."});
		expect((await c.command("SITE VERBOSE 3")).code).to.equal(501);
		expect((await c.command("SITE VERBOSE x")).code).to.equal(501);
		expect(await c.command("NOOP")).to.include({code: 200});
		expect(server.stderr).to.include("> NOOP\n");
		expect(await c.command("site verbose 0")).to.include({code: 200, text: "200 Verbosity set to 0."});
		const before = server.stderr.length;
		expect((await c.command("SYST")).code).to.equal(215);
		expect((await c.command("NOOP")).code).to.equal(200);
		expect(await c.command("SITE VERBOSE 2")).to.include({code: 200, text: "200 Verbosity set to 2."});
		expect((await c.command("MODE S")).code).to.equal(200);
		// at 0 nothing was logged; at 2 again the commands are
		const logged = server.stderr.slice(before);
		expect(logged).to.not.include("> SYST");
		expect(logged).to.not.include("> NOOP");
		expect(logged).to.include("> MODE S\n");
		c.close();
	});

	it("SITE WHO lists the clients: address, user, idle time and the transfer under way", async () => {
		const c = await RawClient.login(server.port, USER, PASSWORD);
		const guest = await RawClient.login(server.port, "anonymous", "x@y");
		await c.command("TYPE I");
		// the sessions of the tests before end when the server notices their clients left
		let who;
		for (let tries = 0; tries < 20; tries++) {
			who = await guest.command("SITE WHO");
			if (who.text.startsWith("211-2 of "))
				break;
			await new Promise(resolve => setTimeout(resolve, 100));
		}
		expect(who.code).to.equal(211);
		expect(who.text).to.match(/^211-2 of 8 sessions:$/m);
		expect(who.text).to.match(/^ #\d+ 127\.0\.0\.1 user=admin idle=\d+s transfer=none$/m);
		expect(who.text).to.match(/^ #\d+ 127\.0\.0\.1 user=anonymous idle=0s transfer=none$/m);

		// an upload that has started and not finished
		const data = await c.passive();
		expect((await c.command("STOR who.bin")).code).to.equal(150);
		data.write(randomBytes(4096));
		const during = await guest.command("SITE WHO");
		expect(during.text).to.match(/^ #\d+ 127\.0\.0\.1 user=admin idle=\d+s transfer=STOR bytes=\d+ size=- time=\d+s rate=\d+B\/s path=\/who\.bin$/m);
		data.end();
		expect((await c.reply()).code).to.equal(226);
		expect((await guest.command("SITE WHO")).text).to.match(/user=admin idle=\d+s transfer=none$/m);
		c.close();
		guest.close();
	});

	it("SITE DF tells the flash's total, used and free bytes", async () => {
		const c = await RawClient.login(server.port, USER, PASSWORD);
		const df = async () => {
			const reply = await c.command("SITE DF");
			expect(reply.code).to.equal(211);
			const m = /^211 Flash \(littlefs\): total (\d+) bytes, used (\d+) bytes, free (\d+) bytes\.$/.exec(reply.text);
			expect(m, reply.text).to.not.equal(null);
			const [total, used, free] = m.slice(1).map(Number);
			expect(free).to.equal(total - used);
			return {total, used, free};
		};
		const before = await df();
		expect(before.total).to.equal(4 * MiB);
		await c.command("TYPE I");
		const data = await c.passive();
		expect((await c.command("STOR df.bin")).code).to.equal(150);
		data.end(randomBytes(MiB));
		expect((await c.reply()).code).to.equal(226);
		const after = await df();
		expect(after.used - before.used).to.be.at.least(MiB);
		c.close();
	});

	it("SITE FREE reports the XS heap in a release build too (read natively), live data after a collection", async () => {
		const c = await RawClient.login(server.port, "anonymous", "x@y");
		const free = async () => {
			const reply = await c.command("SITE FREE");
			expect(reply.code).to.equal(211);
			// a release build counts no stack peak: that figure is left out, not shown as 0
			const m = /^211 XS heap in use: slots (\d+) bytes, chunks (\d+) bytes \(after garbage collection\)\.$/.exec(reply.text);
			expect(m, reply.text).to.not.equal(null);
			return {slots: Number(m[1]), chunks: Number(m[2])};
		};
		const first = await free();
		expect(first.slots).to.be.above(0);
		expect(first.chunks).to.be.above(0);
		// garbage made in between is collected before the next reading: the figures stay level
		for (let i = 0; i < 20; i++)
			await c.command("HELP");
		const second = await free();
		expect(second.slots).to.be.at.most(first.slots * 1.1);
		c.close();
	});
});
