// npm run test:emu: the device storage and data paths on an emulated ESP8266 CPU. Two programs
// are cross-compiled with Debian's xtensa-lx106-elf-gcc and run bare-metal under
// `qemu-system-xtensa -machine sim -cpu lx106 -semihosting` (the lx106 core, which traps an
// unaligned load or store as the chip does):
//   1. volume: modules/volume (C API and LittleFS backend), the SDK's LittleFS and our ESP8266
//      partition block device, with the SDK's modSPIRead/modSPIWrite/modSPIErase, over a
//      simulated NOR flash (tests/emu/volumeTest.c). Every one of these objects is compiled with
//      its compile line from the ESP8266 firmware's makefile (mcconfig -p esp, then `make -n`),
//      against the vendor headers of the device sysroot.
//   2. lwip: ftpsock's lwIP backend moving files over a NO_SYS lwIP 2.1.3 loopback
//      (tests/lwip/loopback.c, the program `npm run check:lwip` runs on x86, with its fake XS
//      machine and in-memory volume), compiled with the firmware's code generation flags.
// Each program prints TAP-like lines and "N passed, N failed"; so does this script, summing
// them, and it exits non-zero on any failure. Missing tools fail, they never skip.
import {spawnSync} from "node:child_process";
import {existsSync, mkdirSync, readdirSync, rmSync} from "node:fs";
import {basename, join, resolve} from "node:path";
import {projectRoot, requireSDK, sdkEnv} from "./sdk.js";
import {compileCommands} from "./firmware-commands.js";
import {lwipBackendNames} from "./ftpsock-sources.js";
import {deviceSysroot} from "./sysroot.js";

const out = join(projectRoot, "build", "emu");
const emu = join(projectRoot, "tests", "emu");
const cc = "xtensa-lx106-elf-gcc";
const qemu = "qemu-system-xtensa";
const picolibcSpecs = "/usr/lib/xtensa-lx106-elf/picolibc.specs";
// The vendor headers the firmware compiles against (see its README).
const sysroot = deviceSysroot();
// A run that takes longer has hung (the suites take seconds).
const runTimeout = Number(process.env.FTPD_EMU_TIMEOUT || 300) * 1000;

const totals = {passed: 0, failed: 0};

function step(title) {
	console.log(`=== ${title}`);
}

function fatal(message) {
	console.error(`test:emu: ${message}`);
	console.log(`${totals.passed} passed, ${totals.failed + 1} failed`);
	process.exit(1);
}

function run(command, args, options = {}) {
	const result = spawnSync(command, args, {encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...options});
	if (result.error)
		return {ok: false, status: null, output: `${command}: ${result.error.message}`, error: result.error};
	return {ok: result.status === 0, status: result.status, signal: result.signal, output: (result.stdout ?? "") + (result.stderr ?? "")};
}

function requireTools() {
	const missing = [];
	if (!run(cc, ["--version"]).ok)
		missing.push(`${cc} (Debian packages gcc-xtensa-lx106 binutils-xtensa-lx106)`);
	if (!existsSync(picolibcSpecs))
		missing.push(`picolibc for the lx106, ${picolibcSpecs} (Debian package picolibc-xtensa-lx106-elf)`);
	if (!run(qemu, ["--version"]).ok)
		missing.push(`${qemu} (Debian package qemu-system-misc)`);
	else if (!/^\s*lx106\s*$/m.test(run(qemu, ["-cpu", "help"]).output))
		missing.push(`${qemu} with the lx106 core (Debian package qemu-system-misc)`);
	if (!existsSync(join(sysroot, "esp", "include-dirs.txt")) || !existsSync(join(sysroot, "lwip-2.1.3", "src", "core")))
		missing.push(`the device sysroot at ${sysroot} (set FTPD_DEVICE_SYSROOT)`);
	if (missing.length)
		fatal(`cannot build or run the emulated suites; missing:\n  ${missing.join("\n  ")}\n.ci/run installs the Debian packages.`);
}

/*
	The ESP8266 firmware's compile lines
*/

// mcconfig writes the ESP8266 makefile (and mc.defines.h); `make -n` gives each object's
// compile command with the sysroot standing in for the vendor trees (check:firmware's reading of
// it, scripts/firmware-commands.js). Returns source and arguments by object name.
function firmwareCompileLines(objects) {
	const sdk = requireSDK();
	const build = join(out, "firmware");
	mkdirSync(build, {recursive: true});
	const env = {...sdkEnv(sdk), ESP_BASE: join(sysroot, "esp")};
	const config = run(join(sdk, "build", "bin", "lin", "release", "mcconfig"), ["-p", "esp", "-o", build, join(projectRoot, "manifest.json"), "ssid=emu", "password=emu"], {cwd: projectRoot, env});
	if (!config.ok)
		fatal(`mcconfig -p esp failed:\n${config.output}`);
	let commands;
	try {
		commands = compileCommands("esp", sysroot, join(build, "scratch"), join(build, "tmp", "esp", "release", "ftpd"));
	}
	catch (error) {
		fatal(`the ESP8266 makefile's compile commands: ${error.message}`);
	}
	const lines = new Map(commands.map(command => [basename(command.source, ".c"), command]));
	for (const name of objects) {
		if (!lines.has(name))
			fatal(`the ESP8266 makefile has no compile line for ${name}.c`);
	}
	return lines;
}

const gccInclude = () => run(cc, ["-print-file-name=include"]).output.trim();
const gccIncludeFixed = () => run(cc, ["-print-file-name=include-fixed"]).output.trim();

// A makefile line made to run here: Debian's compiler with the vendor toolchain's C library
// headers in place of its own (the sysroot's mapping), compiling `source` (the line's own, or a
// test's) to `object`. -MMD's dependency files would have no reader.
function deviceCommand(command, source, object, extra = []) {
	const args = command.args.filter(word => (word !== "-MMD") && (word !== command.source));
	return ["-nostdinc", "-isystem", gccInclude(), "-isystem", gccIncludeFixed(),
		"-isystem", join(sysroot, "esp", "ESP8266_RTOS_SDK", "components", "newlib", "newlib", "include"),
		...args, ...extra, source, "-o", object];
}

// FTPD_EMU_VERBOSE=1 prints every compile command.
const verbose = process.env.FTPD_EMU_VERBOSE === "1";

function compile(args, label) {
	if (verbose)
		console.log(`# ${cc} ${args.join(" ")}`);
	const result = run(cc, args);
	if (!result.ok)
		fatal(`${label} does not compile:\n${result.output}`);
	const warnings = result.output.split("\n").filter(line => /warning:/.test(line) && !/"__packed" redefined/.test(line));
	if (warnings.length)
		process.stdout.write(warnings.map(line => `# ${line}`).join("\n") + "\n");
}

// picolibc's side: the board's runtime, built as strict C.
const boardFlags = ["-specs=" + picolibcSpecs, "-Os", "-g", "-mlongcalls", "-mtext-section-literals", "-ffunction-sections", "-fdata-sections"];
const strict = ["-Wall", "-Wextra", "-Werror"];

function compileBoard(dir) {
	const objects = [];
	for (const [source, std] of [["start.S", null], ["runtime.c", "gnu11"], ["rom.c", "gnu11"]]) {
		const object = join(dir, source.replace(/\.[cS]$/, ".o"));
		compile([...boardFlags, ...(std ? [`-std=${std}`, ...strict] : []), "-c", join(emu, source), "-o", object], `tests/emu/${source}`);
		objects.push(object);
	}
	return objects;
}

function link(objects, elf) {
	const result = run(cc, ["-specs=" + picolibcSpecs, "-nostartfiles", "-T", join(emu, "emu.ld"), "-Wl,--gc-sections", "-Wl,--no-warn-rwx-segments",
		"-Wl,-Map=" + elf.replace(/\.elf$/, ".map"), ...objects, "-Wl,--start-group", "-lc", "-lgcc", "-Wl,--end-group", "-o", elf]);
	if (!result.ok)
		fatal(`${basename(elf)} does not link:\n${result.output}`);
}

/*
	Running
*/

function runSuite(title, elf) {
	step(`run ${title} on qemu's lx106`);
	const result = spawnSync(qemu, ["-machine", "sim", "-cpu", "lx106", "-semihosting", "-nographic", "-monitor", "none", "-kernel", elf],
		{encoding: "utf8", timeout: runTimeout, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024});
	const output = (result.stdout ?? "") + (result.stderr ?? "");
	process.stdout.write(output.endsWith("\n") || !output ? output : output + "\n");
	// a CPU exception: name the function and line (the runtime prints the faulting pc)
	const fault = /raised .* at pc (0x[0-9a-f]+)/.exec(output);
	if (fault)
		console.log(`# at ${run("xtensa-lx106-elf-addr2line", ["-f", "-p", "-e", elf, fault[1]]).output.trim()}`);
	const summary = /^(\d+) passed, (\d+) failed$/m.exec(output);
	let passed = summary ? Number(summary[1]) : 0, failed = summary ? Number(summary[2]) : 0;
	if (result.error || result.signal) {
		console.log(`not ok - ${title}: ${result.signal === "SIGKILL" ? `no end after ${runTimeout / 1000} s (hung)` : (result.error?.message ?? result.signal)}`);
		failed++;
	}
	else if (!summary || ((result.status !== 0) !== (failed > 0))) {
		console.log(`not ok - ${title}: ended with status ${result.status}${summary ? "" : " and no summary"}`);
		failed++;
	}
	console.log(`${title}: ${passed} passed, ${failed} failed`);
	totals.passed += passed;
	totals.failed += failed;
}

/*
	1. The volume over a simulated NOR flash
*/

// ours, LittleFS (lfs.c is compiled inside volumeLfs.c) and the SDK's xsHost.c, for
// modSPIRead/Write/Erase, modGetTimeOfDay, modSetTime and the esp* string functions
const volumeObjects = ["volume", "volumeJs", "volumeLittlefs", "volumeLfs", "volumePath", "volumePartitionEsp", "lfs_util", "xsHost"];

function freshDir(name) {
	const dir = join(out, name);
	rmSync(dir, {recursive: true, force: true});
	mkdirSync(dir, {recursive: true});
	return dir;
}

function buildVolume(lines) {
	step("build the volume suite: the ESP8266 firmware's objects, the SDK's flash access, a simulated NOR flash");
	const dir = freshDir("volume");
	const firmware = volumeObjects;
	// The C API is all the suite calls: the JS face's xsID_ values come from a stand-in for
	// xsl's mc.xs.h (building the XS image for them would take the firmware's whole JS compile).
	const extra = ["-idirafter", join(emu, "include")];
	const objects = [];
	for (const name of firmware) {
		const command = lines.get(name);
		const object = join(dir, `${name}.o`);
		compile(deviceCommand(command, command.source, object, extra), `${name}.c (ESP8266 compile line)`);
		objects.push(object);
	}
	// The board's side of the vendor SDK (flash, RTC) and the test, on the same line as volume.c,
	// against the same vendor headers.
	for (const name of ["flash", "rtc", "volumeTest"]) {
		const object = join(dir, `${name}.o`);
		compile(deviceCommand(lines.get("volume"), join(emu, `${name}.c`), object, ["-I", emu, ...extra, "-Wall", "-Wextra"]), `tests/emu/${name}.c`);
		objects.push(object);
	}
	const xsStub = join(dir, "xsStub.o");
	compile([...boardFlags, "-std=gnu11", ...strict, "-c", join(emu, "xsStub.c"), "-o", xsStub], "tests/emu/xsStub.c");
	objects.push(xsStub, ...compileBoard(dir));
	const elf = join(out, "volume.elf");
	link(objects, elf);
	return elf;
}

/*
	2. ftpsock's lwIP backend over a NO_SYS lwIP loopback
*/

function buildLwip(lines) {
	step("build the lwIP suite: ftpsock_lwip*.c with the firmware's code generation flags, lwIP 2.1.3 NO_SYS, tests/lwip/loopback.c");
	const dir = freshDir("lwip");
	const lwip = join(sysroot, "lwip-2.1.3", "src");
	const tests = join(projectRoot, "tests", "lwip");
	// lwipopts.h and arch/cc.h of the emulated board first; lwIP's headers are not ours to warn about
	const includes = ["-I", join(emu, "lwip"), "-I", emu, "-isystem", join(lwip, "include")];
	const objects = [];
	for (const sub of ["core", join("core", "ipv4")]) {
		for (const file of readdirSync(join(lwip, sub)).filter(f => f.endsWith(".c")).sort()) {
			const object = join(dir, `lwip-${file.replace(/\.c$/, ".o")}`);
			compile([...boardFlags, "-std=gnu99", "-w", ...includes, "-c", join(lwip, sub, file), "-o", object], `lwIP's ${sub}/${file}`);
			objects.push(object);
		}
	}
	// The backend: the firmware's defines and code generation flags (its makefile line without
	// the vendor include folders), with check:lwip's fake XS headers and NO_SYS lwIP 2.1.3.
	for (const name of lwipBackendNames()) {
		const command = lines.get(name);
		const codegen = command.args.filter(word => !/^-[IM]/.test(word) && (word !== "-c") && (word !== command.source));
		const backend = join(dir, `${name}.o`);
		compile(["-specs=" + picolibcSpecs, ...codegen, ...strict, "-Werror=implicit-function-declaration", "-I", join(tests, "shim"), "-I", tests, ...includes, "-c", command.source, "-o", backend], `${name}.c (ESP8266 flags, NO_SYS lwIP 2.1.3)`);
		objects.push(backend);
	}
	// The fake machine's clock is POSIX's clock_gettime, which the board's runtime provides and
	// picolibc declares only where the platform announces it.
	const posix = ["-D_POSIX_TIMERS=1", "-D_POSIX_MONOTONIC_CLOCK=200112L"];
	for (const file of ["loopback.c", "fakexs.c", "fakevolume.c"]) {
		const object = join(dir, file.replace(/\.c$/, ".o"));
		compile([...boardFlags, "-std=gnu11", ...strict, ...posix, "-I", join(tests, "shim"), "-I", tests, ...includes, "-c", join(tests, file), "-o", object], `tests/lwip/${file}`);
		objects.push(object);
	}
	objects.push(...compileBoard(dir));
	const elf = join(out, "lwip.elf");
	link(objects, elf);
	return elf;
}

step(`tools: ${cc}, ${qemu} -machine sim -cpu lx106, picolibc, sysroot ${sysroot}`);
requireTools();
mkdirSync(out, {recursive: true});
const lines = firmwareCompileLines([...volumeObjects, ...lwipBackendNames()]);
const suites = [["volume", buildVolume(lines)], ["lwip", buildLwip(lines)]];
for (const [title, elf] of suites)
	runSuite(title, elf);

console.log(`\nemulated lx106: ${totals.passed} passed, ${totals.failed} failed`);
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed ? 1 : 0);
