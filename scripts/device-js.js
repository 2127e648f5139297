// The part of an ESP32 or ESP8266 build that needs no vendor toolchain, for any app's manifest:
// mcconfig writes the device makefile, then only its TypeScript → XS bytecode → mc.xs.c steps
// run (tsc, xsc, xsid, xsl), so a compile error or an unresolved module fails here. Used by
// check:devices (the project and its examples) and by the tests of apps built on the include.
import {spawnSync} from "node:child_process";
import {existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, rmSync} from "node:fs";
import {dirname, join} from "node:path";
import {requireSDK, sdkEnv} from "./sdk.js";

function run(command, args, options) {
	const result = spawnSync(command, args, {encoding: "utf8", maxBuffer: 64 << 20, ...options});
	return {ok: result.status === 0, output: (result.stdout ?? "") + (result.stderr ?? "")};
}

/** The device makefile without its platform part (which needs the vendor SDK), plus the mc.xs.c rule. */
export function jsOnlyMakefile(text) {
	const lines = text.split("\n");
	const platformStart = lines.findIndex((line, i) => line === "#" && /Copyright/.test(lines[i + 1] ?? ""));
	// the platform part ends with its MAKEFLAGS block; the module rules follow
	const jobs = lines.findIndex(line => /^MAKEFLAGS \+= (\$\(MAKEFLAGS_JOBS\)|--jobs)/.test(line));
	if ((platformStart < 0) || (jobs < 0))
		throw new Error("unexpected device makefile layout (mcconfig changed?)");
	const rulesStart = lines.indexOf("endif", jobs) + 1;
	return [
		...lines.slice(0, platformStart),
		"MAKEFLAGS += --silent",
		"all: $(TMP_DIR)/mc.xs.c",
		"$(TMP_DIR)/mc.xs.c: $(MODULES) $(MANIFEST)",
		"\t@echo '# xsl modules'",
		"\txsl -b $(MODULES_DIR) -o $(TMP_DIR) $(PRELOADS) $(STRIPS) $(CREATION) $(MODULES)",
		...lines.slice(rulesStart),
	].join("\n");
}

/**
 * Builds the JS half of `manifest` for `target` into `out` (emptied first).
 * @returns {{ok: boolean, output: string, tmp: string | undefined}} tmp: the build's folder (its
 *   mc.xs.c and modules/), once mcconfig has written it
 */
export function buildDeviceJS({manifest, target, out, args = []}) {
	const sdk = requireSDK();
	const env = sdkEnv(sdk);
	rmSync(out, {recursive: true, force: true});
	mkdirSync(out, {recursive: true});
	// mcconfig wants the ESP8266 tools folder to exist even to write the makefile; an empty one
	// will do, since only the JS steps run
	if ((target === "esp") && !env.ESP_BASE) {
		env.ESP_BASE = join(out, "esp-base");
		mkdirSync(env.ESP_BASE, {recursive: true});
	}
	const config = run(join(sdk, "build", "bin", "lin", "release", "mcconfig"), ["-p", target, "-o", out, manifest, ...args], {cwd: dirname(manifest), env});
	if (!config.ok)
		return {ok: false, output: config.output + `\n${target}: mcconfig failed`, tmp: undefined};
	// tmp/<target>/release/<the build's NAME>
	const release = join(out, "tmp", target, "release");
	const name = readdirSync(release).find(entry => existsSync(join(release, entry, "makefile")));
	if (!name)
		return {ok: false, output: config.output + `\n${target}: mcconfig wrote no makefile in ${release}`, tmp: undefined};
	const tmp = join(release, name);
	writeFileSync(join(tmp, "makefile.js-only"), jsOnlyMakefile(readFileSync(join(tmp, "makefile"), "utf8")));
	const make = run("make", ["-f", "makefile.js-only", "all"], {cwd: tmp, env});
	const output = make.output.split("\n").filter(l => !l.startsWith("# x")).join("\n");
	return {ok: make.ok && !/error/i.test(make.output), output, tmp};
}
