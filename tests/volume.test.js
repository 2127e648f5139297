/*
 * The volume module (modules/volume) and the "file" module over it, checked from inside an XS
 * app: the probe in tests/xs/volume, built for the Linux host and run on fresh temporary
 * images and folders.
 */
import {expect} from "chai";
import {spawn, spawnSync} from "node:child_process";
import {once} from "node:events";
import {mkdirSync, mkdtempSync, rmSync, symlinkSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {buildHost, projectRoot} from "../scripts/sdk.js";

const probeManifest = join(projectRoot, "tests", "xs", "volume", "manifest.json");

// The battery's checks (tests/xs/volume/main.ts); a change there changes these.
const BATTERY_CHECKS = 76;
const RESTART_CHECKS = 2;
const VERIFY_CHECKS = 4;

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** Runs the probe to its end; fails the test unless it exits 0 having passed `checks` checks. */
function runProbe(probe, args, checks) {
	const result = spawnSync(probe, args, {encoding: "utf8", timeout: 120000});
	const output = `${result.stdout}${result.stderr}`;
	const failures = result.stdout.split("\n").filter(line => line.startsWith("not ok"));
	expect(failures, output).to.deep.equal([]);
	expect(result.status, output).to.equal(0);
	const summary = /^(\d+) passed, (\d+) failed$/m.exec(result.stdout);
	expect(summary, output).to.not.equal(null);
	expect(Number(summary[1]), output).to.equal(checks);
	expect(Number(summary[2]), output).to.equal(0);
	return result.stdout;
}

/** The highest N of the complete lines "<word> N" in `output`. */
function lastVersion(output, word) {
	let last = 0;
	for (const match of output.matchAll(new RegExp(`^${word} (\\d+)$`, "gm")))
		last = Math.max(last, Number(match[1]));
	return last;
}

describe("volume", function () {
	this.timeout(120000);
	let probe, work;

	before(function () {
		this.timeout(300000);
		probe = buildHost({manifest: probeManifest, name: "volume-probe", quiet: true});
		work = mkdtempSync(join(tmpdir(), "volume-test-"));
	});

	after(function () {
		if (work)
			rmSync(work, {recursive: true, force: true});
	});

	it("passes the battery on a fresh image and on a POSIX root", function () {
		// what the POSIX checks must refuse: links out of the root, a dangling link, a FIFO
		const links = join(work, "root", "links");
		mkdirSync(links, {recursive: true});
		mkdirSync(join(work, "root", "volume"));
		symlinkSync("/", join(links, "outside"));
		symlinkSync("/etc/passwd", join(links, "passwd"));
		symlinkSync("/nonexistent/file", join(links, "dangling"));
		const fifo = spawnSync("mkfifo", [join(links, "fifo")]);
		expect(fifo.status, String(fifo.stderr)).to.equal(0);

		runProbe(probe, ["battery", work], BATTERY_CHECKS);
	});

	it("finds contents and modification times in a new process", function () {
		runProbe(probe, ["restart", work], RESTART_CHECKS);
	});

	it("leaves a consistent image when killed with SIGKILL mid-write", async function () {
		const image = join(work, "churn.lfs");
		let first = 1, midWrite = 0, lockChecked = false;

		for (let round = 0; round < 6; round++) {
			const child = spawn(probe, ["churn", image, String(first)], {stdio: ["ignore", "pipe", "pipe"]});
			const exited = once(child, "exit");
			let output = "", errors = "";
			child.stdout.setEncoding("utf8").on("data", text => output += text);
			child.stderr.setEncoding("utf8").on("data", text => errors += text);

			for (let tries = 0; (lastVersion(output, "renamed") < first + 1) && (tries < 500); tries++)
				await sleep(10);
			expect(lastVersion(output, "renamed"), output + errors).to.be.at.least(first + 1);
			if (!lockChecked) {
				runProbe(probe, ["locked", image], 1);
				lockChecked = true;
			}
			await sleep(Math.floor(Math.random() * 40));
			child.kill("SIGKILL");
			const [, signal] = await exited;
			expect(signal, output + errors).to.equal("SIGKILL");

			// every line the probe printed before the kill is in `output` once it has exited
			const complete = output.slice(0, output.lastIndexOf("\n") + 1).trim().split("\n");
			if (!complete[complete.length - 1].startsWith("renamed"))
				midWrite++;
			const committed = lastVersion(output, "committed");
			const renamed = lastVersion(output, "renamed");
			runProbe(probe, ["verify", image, String(committed), String(renamed)], VERIFY_CHECKS);
			first = committed + 10;
		}
		expect(midWrite, "rounds killed while a file was being written").to.be.at.least(1);
	});

	it("reports its speed through the JS API", function () {
		const bench = join(work, "bench");
		mkdirSync(bench);
		const result = spawnSync(probe, ["bench", bench], {encoding: "utf8", timeout: 120000});
		expect(result.status, result.stdout + result.stderr).to.equal(0);
		for (const line of result.stdout.split("\n").filter(line => line.startsWith("bench")))
			console.log(`      ${line}`);
	});
});
