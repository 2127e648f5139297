// npm run check:devices: the part of the ESP32 and ESP8266 firmware builds that needs no
// vendor toolchain. mcconfig writes the device makefile; this runs only its TypeScript → XS
// bytecode → mc.xs.c steps (tsc, xsc, xsid, xsl), so a compile error or an unresolved module
// fails here, for each target; the examples (examples/*) too. npm run check:firmware compiles the C objects of the same
// makefiles; the link needs ESP-IDF / the ESP8266 SDK.
import {readFileSync} from "node:fs";
import {join} from "node:path";
import {projectRoot, requireSDK} from "./sdk.js";
import {buildDeviceJS} from "./device-js.js";
import {imageSize, describeImage} from "./xs-image.js";

requireSDK();
const targets = process.argv.slice(2).length ? process.argv.slice(2) : ["esp32", "esp"];
let failed = 0;

// the project's own build (its folder is the one check:firmware reads), then the examples
const apps = [
	{label: "", manifest: join(projectRoot, "manifest.json"), dir: target => `check-${target}`},
	...["standalone", "logger"].map(example => ({
		label: `examples/${example} `, manifest: join(projectRoot, "examples", example, "manifest.json"), dir: target => `check-${target}-${example}`,
	})),
];

for (const target of targets) {
	for (const app of apps) {
		console.log(`=== ${app.label}${target}: TypeScript → XS bytecode → mc.xs.c`);
		const build = buildDeviceJS({manifest: app.manifest, target, out: join(projectRoot, "build", app.dir(target)), args: ["ssid=check", "password=check"]});
		process.stdout.write(build.output);
		if (!build.ok) {
			console.error(`${app.label}${target}: FAILED`);
			failed++;
			continue;
		}
		const image = imageSize(readFileSync(join(build.tmp, "mc.xs.c"), "utf8"));
		console.log(`${app.label}${target}: ok, ${describeImage(image)}`);
	}
}
process.exit(failed ? 1 : 0);
