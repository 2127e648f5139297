// npm run check:firmware: compiles (never links) every C object of the ESP32 and ESP8266
// firmware, with the compile commands of the makefiles that mcconfig writes (check:devices runs
// first and writes them), with Debian's xtensa-lx106-elf-gcc against the vendor headers of the
// device sysroot: ESP-IDF v6.0 for esp32, Arduino core 2.3.0 (lwIP 1.4) for esp.
//   - The project's own C files (modules/, hosts/) also get -Wall -Wextra -Werror and
//     -Werror=implicit-function-declaration (Moddable's flags turn implicit declarations off,
//     which is how a call to a function the SDK lacks reaches the link). The SDK's and vendor's
//     folders are system headers for them: -Werror is for this project's code.
//   - The SDK's and the vendor's objects of the same builds compile as controls, with the
//     makefile's flags only. A control that fails fails the check too (our manifests choose
//     what they are built with, as the missing modInstrumentation.h showed), but its line says
//     "control": it may be this approach's limit (see the sysroot's README) rather than the
//     firmware's.
//   - ESP8266: every undefined symbol of our objects must be defined by another object of the
//     build, by the vendor libraries and linker scripts of the sysroot's esp/libs.txt, or by libgcc.
// Prints `PASS|FAIL target object [reason]` per object, then `N passed, N failed`, and the size
// of our objects (xtensa-lx106-elf-size) next to the XS image's. Exits 1 on any failure.
//
// The sysroot: FTPD_DEVICE_SYSROOT, or ../shared/device-sysroot beside the project (or beside the
// repository it was cloned from; scripts/sysroot.js).
// Options: targets (esp32, esp; default both); --skip-devices uses the makefiles a previous
// check:devices wrote instead of running it. FTPD_FIRMWARE_JOBS: parallel compiles (default: CPUs).
import {spawn, spawnSync} from "node:child_process";
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync} from "node:fs";
import {availableParallelism} from "node:os";
import {basename, dirname, join, resolve} from "node:path";
import {projectRoot, requireSDK} from "./sdk.js";
import {compileCommands, makefileDir} from "./firmware-commands.js";
import {imageSize, describeImage} from "./xs-image.js";
import {deviceSysroot} from "./sysroot.js";

const CC = "xtensa-lx106-elf-gcc";
const NM = "xtensa-lx106-elf-nm";
const SIZE = "xtensa-lx106-elf-size";
const STRICT = ["-Wall", "-Wextra", "-Werror", "-Werror=implicit-function-declaration"];

const sdk = requireSDK();
const argv = process.argv.slice(2);
const skipDevices = argv.includes("--skip-devices");
const targets = argv.filter(arg => !arg.startsWith("--"));
if (!targets.length)
	targets.push("esp32", "esp");
for (const target of targets) {
	if ((target !== "esp32") && (target !== "esp"))
		fatal(`unknown target ${target} (esp32, esp)`);
}
const sysroot = deviceSysroot();
const jobs = Number(process.env.FTPD_FIRMWARE_JOBS) || availableParallelism();

function fatal(message) {
	console.error(`check:firmware: ${message}`);
	process.exit(2);
}

/** Paths in messages: relative to the project, $MODDABLE/…, $SYSROOT/… */
function short(text) {
	return text.split(`${projectRoot}/`).join("").split(`${sdk}/`).join("$MODDABLE/").split(`${sysroot}/`).join("$SYSROOT/");
}

function tool(name, args) {
	const result = spawnSync(name, args, {encoding: "utf8", maxBuffer: 64 << 20});
	if (result.error)
		fatal(`${name}: ${result.error.message} (Debian packages gcc-xtensa-lx106, binutils-xtensa-lx106; .ci/run installs them)`);
	if (result.status !== 0)
		throw new Error(`${name} ${args.join(" ")}: ${result.stderr}`);
	return result.stdout;
}

for (const file of ["esp32/include-dirs.txt", "esp/include-dirs.txt", "esp/libs.txt"]) {
	if (!existsSync(join(sysroot, file)))
		fatal(`no device sysroot at ${sysroot} (${file} is missing). It holds the vendor headers the firmware compiles against; put it at ../shared/device-sysroot beside the project or set FTPD_DEVICE_SYSROOT to its folder (its README says what is inside).`);
}
tool(CC, ["--version"]);
tool(NM, ["--version"]);
tool(SIZE, ["--version"]);

let failed = 0;
if (!skipDevices) {
	const devices = spawnSync(process.execPath, [join(projectRoot, "scripts", "check-devices.js"), ...targets], {stdio: "inherit"});
	if (devices.status !== 0) {
		console.log("FAIL check:devices (the XS part of the builds; see above)");
		failed++;
	}
}

/** The vendor toolchain's C library in place of the compiler's, after the makefile's folders. */
function systemIncludes(target) {
	const includes = ["-isystem", tool(CC, ["-print-file-name=include"]).trim(), "-isystem", tool(CC, ["-print-file-name=include-fixed"]).trim()];
	for (const line of readFileSync(join(sysroot, target, "include-dirs.txt"), "utf8").split("\n")) {
		const m = /^-isystem (.+)$/.exec(line.trim());
		if (m)
			includes.push("-isystem", join(sysroot, target, m[1]));
	}
	return includes;
}

/** For our objects: folders outside the project (the SDK's, the vendor's) become system folders, in place. */
function asSystemHeaders(args) {
	const out = [];
	for (let i = 0; i < args.length; i++) {
		const dir = (args[i] === "-I") ? args[++i] : args[i].startsWith("-I") ? args[i].slice(2) : undefined;
		if (dir === undefined)
			out.push(args[i]);
		else
			out.push(resolve(dir).startsWith(`${projectRoot}/`) ? "-I" : "-isystem", dir);
	}
	return out;
}

function isOurs(source) {
	return ["modules", "hosts"].some(folder => resolve(source).startsWith(join(projectRoot, folder) + "/"));
}

function run(command, args) {
	return new Promise(done => {
		const child = spawn(command, args, {stdio: ["ignore", "pipe", "pipe"]});
		let output = "";
		child.stdout.on("data", data => output += data);
		child.stderr.on("data", data => output += data);
		child.on("error", error => done({ok: false, output: error.message}));
		child.on("close", status => done({ok: status === 0, output}));
	});
}

/** The first error of a compiler's output, with its source line; else its first line. */
function firstError(output) {
	const lines = output.split("\n");
	const i = lines.findIndex(line => /: (fatal )?error: /.test(line));
	if (i < 0)
		return short(lines.find(Boolean) ?? "failed");
	const source = /^ *\d+ \| *(.*)$/.exec(lines[i + 1] ?? "");
	return short(lines[i] + (source ? ` [${source[1].trim()}]` : ""));
}

let sdkHeaders;
/** Where a header missing from the include path is among the SDK's modules, if it is. */
function sdkModuleHeader(header) {
	sdkHeaders ??= readdirSync(join(sdk, "modules"), {recursive: true}).map(String);
	const found = sdkHeaders.find(path => (path === header) || path.endsWith(`/${header}`));
	return found && dirname(join(sdk, "modules", found));
}

/**
 * Compiles one object; returns "" or the reason it failed. A header that an SDK module has but the
 * include path lacks (a module missing from the manifest) is named, and the object compiled again
 * with its folder, to show what else fails.
 */
async function compile(args, object) {
	const notes = [];
	for (;;) {
		const result = await run(CC, [...args, "-o", object]);
		if (result.ok)
			return notes.length ? `${notes.join("; with it: ")}` : "";
		const header = /fatal error: (.+): No such file or directory/.exec(result.output)?.[1];
		const folder = header && sdkModuleHeader(header);
		if (!folder || notes.some(note => note.startsWith(`${header} `))) {
			rmSync(object, {force: true});
			return [...notes, firstError(result.output)].join("; with it: ");
		}
		notes.push(`${header} is not on the include path (it is in ${short(folder)}: a module missing from the manifest?)`);
		args = [...args, "-I", folder];
	}
}

/** Runs tasks, at most `jobs` at once, keeping their order in the results. */
async function pool(tasks) {
	const results = new Array(tasks.length);
	let next = 0;
	async function worker() {
		while (next < tasks.length) {
			const i = next++;
			results[i] = await tasks[i]();
		}
	}
	await Promise.all(Array.from({length: Math.min(jobs, tasks.length)}, worker));
	return results;
}

/** Names the sysroot's esp/libs.txt entries, the build's objects and libgcc define. */
function definedSymbols(objects) {
	const defined = new Set();
	const addFrom = text => {
		for (const line of text.split("\n")) {
			const name = line.trim().split(/\s+/).pop();
			if (name && !name.endsWith(":"))
				defined.add(name);
		}
	};
	const existing = objects.filter(object => existsSync(object));
	if (existing.length)
		addFrom(tool(NM, ["-g", "--defined-only", ...existing]));
	for (let entry of readFileSync(join(sysroot, "esp", "libs.txt"), "utf8").split("\n")) {
		entry = entry.replace(/#.*/, "").trim();
		if (!entry)
			continue;
		if (entry.startsWith("symbol ")) {
			defined.add(entry.slice(7).trim());	// defined by something the sysroot lacks (its README says what)
			continue;
		}
		const file = entry.startsWith("$MODDABLE/") ? join(sdk, entry.slice(10)) : entry.startsWith("/") ? entry : join(sysroot, "esp", entry);
		if (!existsSync(file))
			fatal(`${file}, named by ${join(sysroot, "esp", "libs.txt")}, is missing`);
		if (file.endsWith(".ld")) {
			for (const m of readFileSync(file, "utf8").matchAll(/^\s*(?:PROVIDE\s*\(\s*)?([A-Za-z_]\w*)\s*=/gm))
				defined.add(m[1]);
		}
		else {
			addFrom(tool(NM, ["-g", "--defined-only", file]));
		}
	}
	addFrom(tool(NM, ["-g", "--defined-only", tool(CC, ["-print-libgcc-file-name"]).trim()]));
	return defined;
}

function undefinedSymbols(object) {
	return [...new Set(tool(NM, ["-u", object]).split("\n").map(line => line.trim().split(/\s+/)).filter(f => f[0] === "U").map(f => f[1]))];
}

/** text, data and bss of objects (Berkeley format: read-only data counts as text). */
function sizes(objects) {
	const rows = [];
	for (const line of tool(SIZE, objects).split("\n").slice(1)) {
		const f = line.trim().split(/\s+/);
		if (f.length >= 6)
			rows.push({text: Number(f[0]), data: Number(f[1]), bss: Number(f[2]), name: basename(f[5])});
	}
	return rows;
}

const counts = {ours: {passed: 0, failed: 0}, controls: {passed: 0, failed: 0}};
const sizeReports = [];

for (const target of targets) {
	const scratch = join(projectRoot, "build", "firmware", target);
	rmSync(scratch, {recursive: true, force: true});
	mkdirSync(scratch, {recursive: true});
	console.log(`=== ${target}: every C object, ${CC} against ${short(join(sysroot, target))}`);
	let commands;
	try {
		commands = compileCommands(target, sysroot, scratch);
	}
	catch (error) {
		console.log(`FAIL ${target} makefile ${short(error.message)}`);
		failed++;
		continue;
	}
	const system = systemIncludes(target);
	const names = new Set();
	const objects = commands.map(command => {
		let name = basename(command.object);
		if (names.has(name))
			name = `${basename(dirname(command.object))}-${name}`;
		names.add(name);
		const ours = isOurs(command.source);
		const args = ours ? [...asSystemHeaders(command.args), ...STRICT] : command.args;
		return {name, ours, path: join(scratch, name), args: ["-nostdinc", ...args, ...system]};
	});
	const reasons = await pool(objects.map(object => () => compile(object.args, object.path)));

	if (target === "esp") {
		const defined = definedSymbols(objects.map(object => object.path));
		objects.forEach((object, i) => {
			if (!object.ours || !existsSync(object.path))
				return;
			const missing = undefinedSymbols(object.path).filter(name => !defined.has(name));
			if (missing.length)
				reasons[i] = (reasons[i] ? `${reasons[i]}; ` : "") + `undefined: ${missing.join(" ")} (in no object of the build, no vendor library of esp/libs.txt, not in libgcc)`;
		});
	}

	objects.forEach((object, i) => {
		const count = object.ours ? counts.ours : counts.controls;
		if (!reasons[i]) {
			console.log(`PASS ${target} ${object.name}`);
			count.passed++;
			return;
		}
		console.log(`FAIL ${target} ${object.name} ${object.ours ? "" : "control (an SDK or vendor object of our build; a failure may also be this check's limit): "}${reasons[i]}`);
		count.failed++;
		failed++;
	});

	// sizes of what passed: an object compiled with a folder the manifest lacks is not the firmware's
	const ours = objects.filter((object, i) => object.ours && !reasons[i]);
	const xs = objects.find((object, i) => (object.name === "mc.xs.c.o") && !reasons[i]);
	const mcxs = join(makefileDir(target), "mc.xs.c");
	sizeReports.push({
		target,
		rows: ours.length ? sizes(ours.map(object => object.path)) : [],
		xs: (xs && existsSync(xs.path)) ? sizes([xs.path])[0] : undefined,
		image: existsSync(mcxs) ? imageSize(readFileSync(mcxs, "utf8")) : undefined,
	});
}

for (const {target, rows, xs, image} of sizeReports) {
	console.log(`=== ${target}: sizes of our objects (${SIZE}; bytes; text includes read-only data)`);
	const line = (text, data, bss, name) => console.log(`${String(text).padStart(8)} ${String(data).padStart(6)} ${String(bss).padStart(6)}  ${name}`);
	line("text", "data", "bss", "object");
	for (const row of rows)
		line(row.text, row.data, row.bss, row.name);
	const sum = key => rows.reduce((total, row) => total + row[key], 0);
	line(sum("text"), sum("data"), sum("bss"), `total of ${rows.length} objects`);
	if (xs)
		line(xs.text, xs.data, xs.bss, `mc.xs.c.o (the XS image, as compiled${target === "esp" ? "; make.esp.mk's objcopy then moves its data to flash" : ""})`);
	if (image)
		console.log(`${target}: ${describeImage(image)}`);
}

const {ours, controls} = counts;
console.log(`ours (modules/, hosts/): ${ours.passed} passed, ${ours.failed} failed; controls (the SDK's and vendor's objects): ${controls.passed} passed, ${controls.failed} failed`);
// every FAIL line counts, check:devices and a makefile that cannot be read too
console.log(`${ours.passed + controls.passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
