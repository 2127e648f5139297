// npm run check:lwip: the lwIP backend of ftpsock (modules/ftpsock/ftpsock_lwip.c, built into the
// esp32 and esp firmware) checked on Linux against Debian's lwIP (package liblwip-dev), since the
// vendor toolchains that build it for the devices are not here. Step 1 also compiles
// modules/tcppeer/tcppeer_lwip.c, the session's check of the control connection on devices.
//   1. Compiled with -Wall -Wextra -Werror against the SDK's own XS headers (xsmc.h, xs.h,
//      modTimer.h, modInstrumentation.h; tests/lwip/esp/xsHost.h declares the few names the ESP
//      platform's xsHost.h adds): with liblwip-dev's lwIP options (a tcpip thread and IPv6, as
//      ESP-IDF; gnu17, as ESP-IDF builds), instrumented or not, and with
//      tests/lwip/nosys/lwipopts.h (NO_SYS and IPv4 only, as the ESP8266 core; gnu99, as its
//      toolchain builds).
//   2. Compiled again with tests/lwip/shim (a fake XS machine's headers) and linked with liblwip,
//      the fake machine and an in-memory volume into tests/lwip/loopback, which drives it over
//      lwIP's loopback interface; then run (TAP-like output), under AddressSanitizer and UBSan.
// `--compile` stops after step 1. Exits non-zero on any failure, including a missing liblwip-dev.
import {spawnSync} from "node:child_process";
import {mkdirSync} from "node:fs";
import {basename, join} from "node:path";
import {projectRoot, requireSDK} from "./sdk.js";

const compileOnly = process.argv.includes("--compile");
const cc = process.env.CC || "cc";
const out = join(projectRoot, "build", "lwip");
const backend = join(projectRoot, "modules", "ftpsock", "ftpsock_lwip.c");
const tests = join(projectRoot, "tests", "lwip");
const shim = join(tests, "shim");
const sdk = requireSDK();
// The SDK's headers as system headers too: -Werror is for this project's code.
const sdkIncludes = ["xs/includes", "modules/base/timer", "modules/base/instrumentation"].flatMap(dir => ["-isystem", join(sdk, dir)]);
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
	{title: "liblwip-dev's options (tcpip thread, IPv4 + IPv6), gnu17", std: "gnu17", options: [], builds: [["-O0"], ["-O2"], ["-O2", "-DmxInstrument=1"]]},
	{title: "NO_SYS, IPv4 only (tests/lwip/nosys/lwipopts.h), gnu99", std: "gnu99", options: ["-I", join(tests, "nosys")], builds: [["-O0"], ["-O2"]]},
];
// tcppeer_lwip.c (the session's check of the control connection) is compiled alike
const sources = [backend, join(projectRoot, "modules", "tcppeer", "tcppeer_lwip.c")];
for (const variant of variants) {
	for (const source of sources) {
		const name = basename(source, ".c");
		step(`compile ${name}.c with the SDK's XS headers: ${variant.title}`);
		for (const flags of variant.builds) {
			// -I before -isystem: tests/lwip/esp, and the NO_SYS lwipopts.h, come first
			const result = run(cc, [`-std=${variant.std}`, ...flags, ...strict, "-I", join(tests, "esp"), ...variant.options, ...sdkIncludes, ...lwip.includes,
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
	backend, join(tests, "fakexs.c"), join(tests, "fakevolume.c"), join(tests, "loopback.c"),
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
