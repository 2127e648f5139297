// npm run check:lwip: the lwIP backend of ftpsock (modules/ftpsock/ftpsock_lwip*.c, built into the
// esp32 and esp firmware) checked on Linux against Debian's lwIP (package liblwip-dev), since the
// vendor toolchains that build it for the devices are not here. Step 1 also compiles
// modules/tcppeer/tcppeer_lwip.c, the session's check of the control connection on devices.
//   1. Compiled with -Wall -Wextra -Werror against the SDK's own XS headers (xsmc.h, xs.h, and
//      the SDK module folders that the device manifests put on the include path, as mcconfig
//      writes them for esp32 and esp: modTimer.h, modInstrumentation.h; tests/lwip/esp/xsHost.h
//      declares the few names the ESP platform's xsHost.h adds): with liblwip-dev's lwIP options
//      (a tcpip thread and IPv6, as ESP-IDF; gnu17, as ESP-IDF builds; esp32's folders),
//      instrumented or not, and with tests/lwip/nosys/lwipopts.h (NO_SYS and IPv4 only, as the
//      ESP8266 core; gnu99, as its toolchain builds; esp's folders).
//   2. Compiled again with tests/lwip/shim (a fake XS machine's headers) and linked with liblwip,
//      the fake machine and an in-memory volume into tests/lwip/loopback, which drives it over
//      lwIP's loopback interface; then run (TAP-like output), under AddressSanitizer and UBSan.
// `--compile` stops after step 1. Exits non-zero on any failure, including a missing liblwip-dev.
import {spawnSync} from "node:child_process";
import {mkdirSync, readFileSync} from "node:fs";
import {basename, join} from "node:path";
import {projectRoot, requireSDK, sdkEnv} from "./sdk.js";
import {lwipBackendSources} from "./ftpsock-sources.js";

const compileOnly = process.argv.includes("--compile");
const cc = process.env.CC || "cc";
const out = join(projectRoot, "build", "lwip");
const backend = lwipBackendSources();
const tests = join(projectRoot, "tests", "lwip");
const shim = join(tests, "shim");
const sdk = requireSDK();

/**
 * The SDK module folders a device build puts on the include path (the makefile's DIRECTORIES,
 * from the manifests), so that a header the device manifests do not bring is missing here too.
 * mcconfig only writes the makefile: nothing is built.
 */
function deviceModuleFolders(target) {
	const dir = join(out, `mcconfig-${target}`);
	mkdirSync(dir, {recursive: true});
	// mcconfig wants the ESP8266 tools folder to exist even to write the makefile
	const env = {...sdkEnv(sdk), ESP_BASE: process.env.ESP_BASE || dir};
	const result = spawnSync(join(sdk, "build", "bin", "lin", "release", "mcconfig"), ["-p", target, "-o", dir, join(projectRoot, "manifest.json"), "ssid=check", "password=check"],
		{cwd: projectRoot, env, encoding: "utf8"});
	if (result.status !== 0) {
		console.error(`${result.stdout}${result.stderr}`);
		console.error(`check:lwip: mcconfig -p ${target} failed`);
		process.exit(1);
	}
	const makefile = readFileSync(join(dir, "tmp", target, "release", "ftpd", "makefile"), "utf8");
	const block = /^DIRECTORIES =\\\n((?:\t-I.*\n)*)/m.exec(makefile);
	if (!block) {
		console.error(`check:lwip: no DIRECTORIES in the ${target} makefile (mcconfig changed?)`);
		process.exit(1);
	}
	return block[1].split("\n").map(line => line.trim().replace(/^-I/, "").replace(/\\$/, "")).filter(folder => folder.startsWith(join(sdk, "modules") + "/"));
}

// The SDK's headers as system headers too: -Werror is for this project's code.
const sdkIncludes = target => [join(sdk, "xs", "includes"), ...deviceModuleFolders(target)].flatMap(dir => ["-isystem", dir]);
const strict = ["-Wall", "-Wextra", "-Werror"];

function step(title) {
	console.log(`=== ${title}`);
}

function run(command, args) {
	const result = spawnSync(command, args, {encoding: "utf8"});
	if (result.error)
		return {ok: false, output: `${command}: ${result.error.message}`};
	return {ok: result.status === 0, output: (result.stdout ?? "") + (result.stderr ?? "")};
}

// liblwip-dev's flags, from its pkg-config file. Its headers become -isystem, so that -Werror
// holds this project's code to the warnings, not lwIP's own headers.
function lwipFlags() {
	const cflags = run("pkg-config", ["--cflags-only-I", "lwip"]);
	const libs = run("pkg-config", ["--libs", "lwip"]);
	if (!cflags.ok || !libs.ok) {
		console.error(cflags.output.trim() || libs.output.trim());
		console.error("check:lwip needs Debian's lwIP: apt-get install liblwip-dev pkg-config (.ci/run installs them).");
		process.exit(1);
	}
	const includes = cflags.output.trim().split(/\s+/).filter(Boolean).flatMap(flag => ["-isystem", flag.replace(/^-I/, "")]);
	return {includes, libs: libs.output.trim().split(/\s+/).filter(Boolean)};
}

const lwip = lwipFlags();
mkdirSync(out, {recursive: true});
let failed = false;

const variants = [
	{title: "liblwip-dev's options (tcpip thread, IPv4 + IPv6), gnu17", std: "gnu17", target: "esp32", options: [], builds: [["-O0"], ["-O2"], ["-O2", "-DmxInstrument=1"]]},
	{title: "NO_SYS, IPv4 only (tests/lwip/nosys/lwipopts.h), gnu99", std: "gnu99", target: "esp", options: ["-I", join(tests, "nosys")], builds: [["-O0"], ["-O2"]]},
];
// tcppeer_lwip.c (the session's check of the control connection) is compiled alike
const sources = [...backend, join(projectRoot, "modules", "tcppeer", "tcppeer_lwip.c")];
for (const variant of variants) {
	const includes = sdkIncludes(variant.target);
	for (const source of sources) {
		const name = basename(source, ".c");
		step(`compile ${name}.c with the SDK's XS headers: ${variant.title}`);
		for (const flags of variant.builds) {
			// -I before -isystem: tests/lwip/esp, and the NO_SYS lwipopts.h, come first
			const result = run(cc, [`-std=${variant.std}`, ...flags, ...strict, "-I", join(tests, "esp"), ...variant.options, ...includes, ...lwip.includes,
				"-c", source, "-o", join(out, `${name}.o`)]);
			process.stdout.write(result.output);
			if (!result.ok) {
				console.error(`check:lwip: ${name}.c does not compile (${variant.title}, ${flags.join(" ")})`);
				failed = true;
			}
		}
	}
}
if (failed)
	process.exit(1);
console.log("compiled");
if (compileOnly)
	process.exit(0);

step("build tests/lwip/loopback: the backend (with tests/lwip/shim), liblwip, a fake XS machine, an in-memory volume");
const executable = join(out, "loopback");
// AddressSanitizer sees a record used after lwIP or XS let go of it; UBSan, undefined behaviour.
// Debian's gcc brings both (libasan, libubsan are dependencies of libgcc-*-dev).
const sanitize = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer"];
const build = run(cc, ["-std=gnu11", "-O1", "-g", ...sanitize, ...strict, "-I", shim, "-I", tests, ...lwip.includes,
	...backend, join(tests, "fakexs.c"), join(tests, "fakevolume.c"), join(tests, "loopback.c"),
	// marks the XS thread as inside lwIP's core while it runs tcpip_api_call()
	"-Wl,--wrap=tcpip_api_call", ...lwip.libs, "-lpthread", "-lm", "-o", executable]);
process.stdout.write(build.output);
if (!build.ok) {
	console.error("check:lwip: the loopback test does not build");
	process.exit(1);
}

step("run tests/lwip/loopback on lwIP's loopback interface");
// No leak report: the test keeps its peers and JS objects to the end on purpose (lwIP may call a
// peer back late); it counts what the backend allocates itself and fails on any block left.
const env = {...process.env, ASAN_OPTIONS: "detect_leaks=0", UBSAN_OPTIONS: "print_stacktrace=1"};
const result = spawnSync(executable, [], {stdio: "inherit", cwd: out, env});
if (result.status !== 0) {
	console.error(`check:lwip: the loopback test failed (${result.status ?? result.signal})`);
	process.exit(1);
}
