// A debug build starts cleanly: without xsbug, a debug machine prints every exception thrown
// ("# exception: throw!" and the line), even one that is caught. The server's start throws
// none (it once probed for optional modules with import(), which throws when they are absent),
// and SITE FREE reports the heap with the stack peak a debug build counts.
import {expect} from "chai";
import {buildHost} from "../scripts/sdk.js";
import {RawClient} from "./ftp/raw.js";
import {startHost} from "../hosts/lin/budget/variants.js";

describe("debug build: start without exceptions", function () {
	let host;

	before(async function () {
		// a clean debug build takes over a minute on two cores
		this.timeout(600000);
		const binary = process.env.FTPD_DEBUG_BINARY ?? buildHost({kind: "debug", quiet: true});
		host = await startHost(binary, {args: ["--verbose", "1"]});
	});

	after(async function () {
		await host?.dispose();
	});

	it("reaches the ready line with no exception reported, and serves a session, still without any", async function () {
		this.timeout(60000);
		expect(host.stdout).to.match(/^ftpd: listening on ftp:\/\/127\.0\.0\.1:\d+\/$/m);
		const c = await RawClient.login(host.port);
		const free = await c.command("SITE FREE");
		expect(free.code).to.equal(211);
		expect(free.text).to.match(/^211 XS heap in use: slots \d+ bytes, chunks \d+ bytes, stack peak [1-9]\d* bytes, \d+ modules loaded at run time \(after garbage collection\)\.$/);
		expect((await c.command("QUIT")).code).to.equal(221);
		c.close();
		// the log lines so far (stderr, and stdout where a debug build's trace() also goes)
		const output = host.stdout + host.stderr;
		expect(output).to.include("logged in");
		expect(output).to.not.match(/exception/i);
	});
});
