// xsbug's console steers the running server: a debug build of the Linux host logs in to a
// stand-in for xsbug (tests/xsbug/xsbug.js), which breaks it, evaluates `ftpd.verbose = 2` and
// later `= 0`, and resumes it, while an FTP client sends commands. The server's log reaches
// xsbug as <log> messages; the per-command traces must start and stop with the verbosity.
import {expect} from "chai";
import {buildHost} from "../scripts/sdk.js";
import {RawClient} from "./ftp/raw.js";
import {XsbugStandIn} from "./xsbug/xsbug.js";
import {startHost} from "../hosts/lin/budget/variants.js";

const USER = "admin", PASSWORD = "secret";

describe("xsbug console (debug build)", function () {
	let xsbug, host, client;

	before(async function () {
		// a clean debug build takes over a minute on two cores
		this.timeout(600000);
		const binary = process.env.FTPD_DEBUG_BINARY ?? buildHost({kind: "debug", quiet: true});
		xsbug = await XsbugStandIn.listen();
		// the debug machine logs in to XSBUG_HOST:XSBUG_PORT before its main runs
		host = await startHost(binary, {
			args: ["--verbose", "1", "--user", USER, "--password", PASSWORD],
			env: {XSBUG_HOST: "127.0.0.1", XSBUG_PORT: String(xsbug.port)},
		});
		await xsbug.loggedIn();
		client = await RawClient.login(host.port, USER, PASSWORD);
	});

	after(async function () {
		client?.close();
		await host?.dispose();
		await xsbug?.close();
	});

	it("logs in to xsbug and sends the server's log there, with xsbug's tags", async function () {
		expect(xsbug.login.name).to.equal("ftpd");
		expect(xsbug.login.value).to.match(/^XS \d+\.\d+\.\d+ /);
		// an evaluation is a fence: every log line written before it has arrived
		await xsbug.evaluate("0");
		const text = xsbug.text();
		expect(text).to.match(/^<info>ftpd: listening on port \d+$/m);
		expect(text).to.match(/^<info>ftpd: #\d+ 127\.0\.0\.1: admin logged in$/m);
		// with xsbug connected, the log goes to it and not to stderr
		expect(host.stderr).to.not.include("logged in");
	});

	it("per-command traces start after ftpd.verbose = 2 and stop after ftpd.verbose = 0", async function () {
		expect((await xsbug.evaluate("ftpd.verbose")).value).to.equal("1");
		expect((await client.command("NOOP")).code).to.equal(200);
		expect((await client.command("SYST")).code).to.equal(215);

		const up = await xsbug.evaluate("ftpd.verbose = 2");
		expect(up.value).to.equal("2");
		expect((await client.command("NOOP")).code).to.equal(200);
		expect((await client.command("SYST")).code).to.equal(215);

		const down = await xsbug.evaluate("ftpd.verbose = 0");
		expect(down.value).to.equal("0");
		expect((await client.command("NOOP")).code).to.equal(200);
		expect((await client.command("SYST")).code).to.equal(215);
		const end = await xsbug.evaluate("ftpd.verbose");
		expect(end.value).to.equal("0");

		const traces = /^ftpd: #\d+ 127\.0\.0\.1 [<>] /m;
		const atLevel1 = xsbug.logs.slice(0, up.at).join("");
		const atLevel2 = xsbug.logs.slice(up.at, down.at).join("");
		const atLevel0 = xsbug.logs.slice(down.at, end.at).join("");
		expect(atLevel1).to.not.match(traces);
		expect(atLevel2).to.match(/^ftpd: #\d+ 127\.0\.0\.1 > NOOP\n/m);
		expect(atLevel2).to.match(/^ftpd: #\d+ 127\.0\.0\.1 < 200 NOOP ok\.\n/m);
		expect(atLevel2).to.match(/^ftpd: #\d+ 127\.0\.0\.1 > SYST\n/m);
		expect(atLevel2).to.match(/^ftpd: #\d+ 127\.0\.0\.1 < 215 UNIX Type: L8\n/m);
		expect(atLevel0).to.not.match(traces);
		expect(atLevel0).to.equal("");
	});

	it("answers ftpd.sessions and ftpd.df in the console", async function () {
		expect((await xsbug.evaluate("ftpd.sessions.length")).value).to.equal("1");
		// xsbug shows a string value quoted
		expect((await xsbug.evaluate("ftpd.sessions[0].user")).value).to.equal(`'${USER}'`);
		expect((await xsbug.evaluate("ftpd.sessions[0].transfer")).value).to.equal("undefined");
		expect(Number((await xsbug.evaluate("ftpd.sessions[0].id")).value)).to.be.greaterThan(0);
		// the XS heap, read natively; a debug build also counts the stack's peak
		expect(Number((await xsbug.evaluate("ftpd.free.slots")).value)).to.be.greaterThan(0);
		expect(Number((await xsbug.evaluate("ftpd.free.stack")).value)).to.be.greaterThan(0);
		expect((await xsbug.evaluate("ftpd.free.collected")).value).to.equal("true");
		expect(Number((await xsbug.evaluate("ftpd.df.total")).value)).to.be.greaterThan(0);
		expect((await xsbug.evaluate("ftpd.df.free === ftpd.df.total - ftpd.df.used")).value).to.equal("true");
	});

	it("ftpd.stop() closes the sessions with 421 and ftpd.start() listens again", async function () {
		// at verbosity 1 the log tells the new port
		const stopped = await xsbug.evaluate("ftpd.verbose = 1, ftpd.stop()");
		expect(stopped.value).to.equal("undefined");
		const reply = await client.reply();
		expect(reply.code).to.equal(421);
		expect((await client.reply()).closed).to.equal(true);
		const started = await xsbug.evaluate("ftpd.start(), ftpd.sessions.length");
		expect(started.value).to.equal("0");
		// the host was started on port 0, so the listener has a new port: the log tells it
		const ports = [...xsbug.text().matchAll(/^<info>ftpd: listening on port (\d+)$/gm)];
		expect(ports.length).to.equal(2);
		client = await RawClient.login(Number(ports[1][1]), USER, PASSWORD);
		expect((await client.command("NOOP")).code).to.equal(200);
	});

	it("refuses a verbosity that is not a number, and keeps the old one", async function () {
		await xsbug.evaluate("ftpd.verbose = 1");
		const bad = await xsbug.evaluate("ftpd.verbose = 'loud'");
		expect(bad.value).to.match(/^# RangeError: .*verbosity is 0, 1 or 2/);
		expect((await xsbug.evaluate("ftpd.verbose")).value).to.equal("1");
	});
});
