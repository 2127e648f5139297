/*
 * The Linux host's own pieces, driven through the probe app in tests/xs/host:
 * - its timer (hosts/lin/timer), under the SDK's `timer` module: the devices' timer semantics,
 *   and no callback lost however many timers a long-running host sets (the SDK's Linux timer
 *   lost every 65,536th: built with it, this probe stalls at 65,999 of 66,000, and crashes on a
 *   one-shot timer unscheduled in its callback);
 * - the deadlines of its stop (main.c): whatever the app does with SIGINT/SIGTERM, the process
 *   ends within 2 s (the server's own clean stop is tested in tests/ftp/longrun.test.js).
 */
import {expect} from "chai";
import {spawn} from "node:child_process";
import {once} from "node:events";
import {setTimeout as sleep} from "node:timers/promises";
import {join} from "node:path";
import {buildHost, projectRoot} from "../scripts/sdk.js";

let probe;

function probeBinary() {
	probe ??= buildHost({manifest: join(projectRoot, "tests", "xs", "host", "manifest.json"), name: "host-probe", quiet: true});
	return probe;
}

/** Runs the probe to its end: its stdout lines, stderr and exit. */
async function run(...args) {
	const child = spawn(probeBinary(), args, {stdio: ["ignore", "pipe", "pipe"]});
	let stdout = "", stderr = "";
	child.stdout.setEncoding("utf8").on("data", text => stdout += text);
	child.stderr.setEncoding("utf8").on("data", text => stderr += text);
	const [code, signal] = await once(child, "exit");
	return {lines: stdout.split("\n").filter(Boolean), stderr, code, signal};
}

describe("Linux host timer (hosts/lin/timer)", function () {
	this.timeout(600000);
	before(() => { probeBinary(); });

	it("behaves as the devices' timer: one-shot, repeat, clear, unschedule and reschedule, in callbacks too", async () => {
		const {lines, stderr, code, signal} = await run("semantics");
		expect(lines.filter(line => !line.startsWith("ok ")), "failed checks").to.deep.equal(["done"]);
		expect(lines.length).to.equal(12);
		expect(stderr).to.equal("");
		expect({code, signal}).to.deep.equal({code: 0, signal: null});
	});

	it("fires every one of 200,000 timers (past any 16-bit count)", async () => {
		const {lines, stderr, code, signal} = await run("count", "200000");
		expect(lines).to.deep.equal(["fired 200000 of 200000"]);
		expect(stderr).to.equal("");
		expect({code, signal}).to.deep.equal({code: 0, signal: null});
	});
});

describe("Linux host stop deadlines (main.c)", function () {
	this.timeout(600000);
	// the spec, not a measurement: a host told to stop must have exited when checked this late
	const STOP_DEADLINE_MS = 2000;
	before(() => { probeBinary(); });

	/**
	 * Starts `stop <how>` and signals it once ready (`again`: a second time once the app has
	 * seen the first); resolves with its output and exit, exit undefined if it still runs.
	 */
	async function signalled(how, signal, again = false) {
		const child = spawn(probeBinary(), ["stop", how], {stdio: ["ignore", "pipe", "pipe"]});
		let stdout = "", stderr = "";
		const exited = once(child, "exit").then(([code, signal]) => ({code, signal}));
		child.stderr.setEncoding("utf8").on("data", text => stderr += text);
		const printed = line => new Promise((resolve, reject) => {
			const check = () => {
				if (stdout.includes(line + "\n"))
					resolve();
			};
			child.stdout.on("data", check);
			check();
			exited.then(() => reject(new Error(`probe exited before "${line}": ${stderr}`)));
		});
		child.stdout.setEncoding("utf8").on("data", text => stdout += text);
		await printed("ready");
		child.kill(signal);
		if (again) {
			await printed("signal");
			child.kill(signal);
		}
		const exit = await Promise.race([exited, sleep(STOP_DEADLINE_MS)]);
		if (!exit)
			child.kill("SIGKILL");
		return {exit, stdout, stderr};
	}

	it("an app that never exits on SIGINT is stopped by the host: status 1, within 2 s", async () => {
		const {exit, stdout, stderr} = await signalled("ignore", "SIGINT");
		expect(exit, "still running 2 s after SIGINT").to.deep.equal({code: 1, signal: null});
		expect(stdout).to.equal("ready\nsignal\n");
		expect(stderr).to.match(/the stop did not finish in time, exiting/);
	});

	it("an app whose SIGTERM handler throws is stopped by the host: status 1, within 2 s", async () => {
		const {exit, stderr} = await signalled("throw", "SIGTERM");
		expect(exit, "still running 2 s after SIGTERM").to.deep.equal({code: 1, signal: null});
		expect(stderr).to.match(/unhandled exception/);
		expect(stderr).to.match(/the stop did not finish in time, exiting/);
	});

	it("an app stuck in its SIGINT handler is ended by the host: status 1, within 2 s", async () => {
		const {exit, stdout, stderr} = await signalled("spin", "SIGINT");
		expect(exit, "still running 2 s after SIGINT").to.deep.equal({code: 1, signal: null});
		expect(stdout).to.equal("ready\nsignal\n");
		expect(stderr).to.match(/the stop is stuck, exiting/);
	});

	it("a second SIGTERM while the app stops exits at once: status 1", async () => {
		const {exit, stderr} = await signalled("ignore", "SIGTERM", true);
		expect(exit, "still running 2 s after SIGTERM").to.deep.equal({code: 1, signal: null});
		expect(stderr).to.match(/SIGTERM while stopping, exiting/);
		expect(stderr).to.not.match(/did not finish in time/);
	});
});
