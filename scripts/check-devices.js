// npm run check:devices: the part of the ESP32 and ESP8266 firmware builds that needs no
// vendor toolchain. mcconfig writes the device makefile; this runs only its TypeScript → XS
// bytecode → mc.xs.c steps (tsc, xsc, xsid, xsl), so a compile error or an unresolved module
// fails here, for each target. npm run check:firmware compiles the C objects of the same
// makefiles; the link needs ESP-IDF / the ESP8266 SDK.
import {spawnSync} from "node:child_process";
import {mkdirSync, readFileSync, writeFileSync, statSync, rmSync} from "node:fs";
import {join} from "node:path";
import {projectRoot, requireSDK, sdkEnv} from "./sdk.js";
import {imageSize, describeImage} from "./xs-image.js";

const sdk = requireSDK();
const env = sdkEnv(sdk);
const targets = process.argv.slice(2).length ? process.argv.slice(2) : ["esp32", "esp"];
let failed = 0;

function run(command, args, options) {
	const result = spawnSync(command, args, {env, encoding: "utf8", ...options});
	return {ok: result.status === 0, output: (result.stdout ?? "") + (result.stderr ?? "")};
}

/** The device makefile without its platform part (which needs the vendor SDK), plus the mc.xs.c rule. */
function jsOnlyMakefile(text) {
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

for (const target of targets) {
	const out = join(projectRoot, "build", `check-${target}`);
	rmSync(out, {recursive: true, force: true});
	mkdirSync(out, {recursive: true});
	console.log(`=== ${target}: TypeScript → XS bytecode → mc.xs.c`);
	// mcconfig wants the ESP8266 tools folder to exist even to write the makefile; an empty one
	// will do, since only the JS steps run
	const targetEnv = {...env};
	if ((target === "esp") && !env.ESP_BASE) {
		targetEnv.ESP_BASE = join(out, "esp-base");
		mkdirSync(targetEnv.ESP_BASE, {recursive: true});
	}
	const config = run(join(sdk, "build", "bin", "lin", "release", "mcconfig"), ["-p", target, "-o", out, join(projectRoot, "manifest.json"), "ssid=check", "password=check"], {cwd: projectRoot, env: targetEnv});
	if (!config.ok) {
		console.error(config.output);
		console.error(`${target}: mcconfig failed`);
		failed++;
		continue;
	}
	const tmp = join(out, "tmp", target, "release", "ftpd");
	const makefile = join(tmp, "makefile");
	writeFileSync(join(tmp, "makefile.js-only"), jsOnlyMakefile(readFileSync(makefile, "utf8")));
	const make = run("make", ["-f", "makefile.js-only", "all"], {cwd: tmp});
	process.stdout.write(make.output.split("\n").filter(l => !l.startsWith("# x")).join("\n"));
	if (!make.ok || /error/i.test(make.output)) {
		console.error(`${target}: FAILED`);
		failed++;
		continue;
	}
	const image = imageSize(readFileSync(join(tmp, "mc.xs.c"), "utf8"));
	console.log(`${target}: ok, ${describeImage(image)}`);
}
process.exit(failed ? 1 : 0);
