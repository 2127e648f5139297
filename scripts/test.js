// npm test: the dependency check (scripts/check-cycles.js: no import or include cycles between
// the files of modules/ and hosts/), the Node tier (pure modules), then the XS tier (the real
// XS host driven by real clients), then the emulated ESP8266 CPU (scripts/test-emu.js: the
// device storage and data paths on qemu's lx106). Without the SDK the XS tier and the emulated
// suites cannot run, and the run fails, unless FTPD_SKIP_XS=1.
import {spawnSync} from "node:child_process";
import {join} from "node:path";
import {readdirSync, writeFileSync} from "node:fs";
import Mocha from "mocha";
import {projectRoot, findSDK, installHelp, buildHost, BuildError} from "./sdk.js";

/** `*.test.js` files under `dir` (recursively when `deep`), sorted. */
function testFiles(dir, deep) {
	return readdirSync(join(projectRoot, dir), {recursive: deep, withFileTypes: false})
		.filter(f => f.endsWith(".test.js")).sort().map(f => join(projectRoot, dir, f));
}

function step(title) {
	console.log(`\n=== ${title}`);
}

function runMocha(files, timeout) {
	const mocha = new Mocha({timeout, reporter: "spec"});
	files.forEach(f => mocha.addFile(f));
	return mocha.loadFilesAsync().then(() => new Promise(resolve => {
		const counts = {passed: 0, failed: 0, pending: 0};
		const runner = mocha.run(() => resolve(counts));
		runner.on("pass", () => counts.passed++);
		runner.on("fail", () => counts.failed++);
		runner.on("pending", () => counts.pending++);
	}));
}

// the clients print non-ASCII names (été) only in a UTF-8 locale; CI may have none set
const locale = process.env.LC_ALL || process.env.LC_CTYPE || process.env.LANG || "";
if (!/utf-?8/i.test(locale))
	process.env.LC_ALL = "C.UTF-8";

// Both tiers run in a zone that is not UTC, with an offset that is not whole hours (+05:45),
// so a time shown in local time instead of UTC (MDTM, MLSx, LIST: RFC 3659 wants UTC) fails a
// test. Node reads TZ when it changes; the XS host (glibc's localtime) inherits it and needs
// the zone from the tzdata package.
process.env.TZ = process.env.FTPD_TEST_TZ || "Asia/Kathmandu";
// Node has its own zone data; glibc's (date(1), the XS host) comes from tzdata
if ((new Date(0).getTimezoneOffset() === 0) || (spawnSync("date", ["+%z"], {encoding: "utf8"}).stdout.trim() === "+0000")) {
	console.error(`TZ=${process.env.TZ} is UTC here: the tests need a zone that is not UTC (install tzdata, or set FTPD_TEST_TZ)`);
	process.exit(1);
}

step("Dependencies: no cycles between the files of modules/ and hosts/ (scripts/check-cycles.js)");
const cycles = spawnSync(process.execPath, [join(projectRoot, "scripts", "check-cycles.js")], {stdio: "inherit"});
const acyclic = cycles.status === 0;

const tsc = join(projectRoot, "node_modules", ".bin", "tsc");

step("Node tier: compile the pure modules");
const compiled = spawnSync(tsc, ["-p", join(projectRoot, "tests", "unit", "tsconfig.json")], {stdio: "inherit"});
if (compiled.status !== 0)
	process.exit(1);
// the project is ESM; the compiled pure modules are CommonJS (extensionless relative imports)
writeFileSync(join(projectRoot, "build", "unit", "package.json"), '{"type": "commonjs"}\n');

step("Node tier: unit tests");
const unit = await runMocha(testFiles("tests/unit", true), 10000);

// scripts/test-emu.js in a process of its own; its counts from its last line.
function runEmu() {
	const result = spawnSync(process.execPath, [join(projectRoot, "scripts", "test-emu.js")], {encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "inherit"]});
	process.stdout.write(result.stdout ?? "");
	const summary = /^(\d+) passed, (\d+) failed\s*$/m.exec((result.stdout ?? "").split("\n").filter(Boolean).pop() ?? "");
	const counts = {passed: summary ? Number(summary[1]) : 0, failed: summary ? Number(summary[2]) : 0};
	if ((result.status !== 0) && !counts.failed)
		counts.failed = 1;		// ended without its summary
	return counts;
}

let xs = {passed: 0, failed: 0, pending: 0};
let emu = {passed: 0, failed: 0};
const sdk = findSDK();
if (!sdk) {
	if (process.env.FTPD_SKIP_XS === "1") {
		console.log("\n" + "!".repeat(72));
		console.log("!!! FTPD_SKIP_XS=1: the XS tier was NOT run. Only the Node tier was tested.");
		console.log("!!! The emulated ESP8266 suites (they build from the SDK) were NOT run either.");
		console.log("!!! Nothing here shows that the server works on the XS engine.");
		console.log("!".repeat(72));
	}
	else {
		console.error("\nThe XS tier cannot run: " + installHelp);
		console.error("(Set FTPD_SKIP_XS=1 to run only the Node tier.)");
		process.exit(1);
	}
}
else {
	step("XS tier: build the Linux host");
	try {
		process.env.FTPD_BINARY = buildHost({quiet: true});
	}
	catch (error) {
		if (!(error instanceof BuildError))
			throw error;
		console.error(error.describe());
		process.exit(1);
	}
	console.log(process.env.FTPD_BINARY);
	step("XS tier: the real XS host, driven by real clients");
	// last: the ESP8266-budget host is a build of its own (hosts/lin/budget)
	const files = [...testFiles("tests", false), ...testFiles("tests/ftp", true), ...testFiles("tests/clients", true), ...testFiles("tests/api", true), ...testFiles("tests/budget", true)];
	xs = await runMocha(files, 120000);
	step("Emulated ESP8266 CPU: the volume and ftpsock's lwIP backend on qemu's lx106");
	emu = runEmu();
}

const passed = unit.passed + xs.passed + emu.passed + (acyclic ? 1 : 0), failed = unit.failed + xs.failed + emu.failed + (acyclic ? 0 : 1);
console.log(`\nDependencies: ${acyclic ? "no cycles" : "cycles found (see above)"}`);
console.log(`Node tier: ${unit.passed} passed, ${unit.failed} failed`);
console.log(sdk ? `XS tier: ${xs.passed + xs.failed} tests ran on the XS host (${xs.passed} passed, ${xs.failed} failed)` : "XS tier: not run");
console.log(sdk ? `Emulated ESP8266 CPU: ${emu.passed} passed, ${emu.failed} failed` : "Emulated ESP8266 CPU: not run");
console.log(`${passed} passed, ${failed} failed`);
process.exit((failed || (!sdk && process.env.FTPD_SKIP_XS !== "1")) ? 1 : 0);
