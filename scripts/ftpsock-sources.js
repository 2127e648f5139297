// The C files of ftpsock's lwIP build (the binding and the lwIP backend), as modules/ftpsock/manifest.json lists them for the
// ESP8266 ("esp"), so that check:lwip and test:emu compile the same files as the firmware.
import {readFileSync} from "node:fs";
import {join} from "node:path";
import {projectRoot} from "./sdk.js";

const folder = join(projectRoot, "modules", "ftpsock");

/** The backend's object names (ftpsock_lwip, ftpsock_lwip_pcb...), in the manifest's order. */
export function lwipBackendNames() {
	const manifest = JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8"));
	const files = [manifest.platforms.esp.modules["*"]].flat();
	return files.map(file => file.replace(/^\.\//, ""));
}

/** Their sources, as absolute paths. */
export function lwipBackendSources() {
	return lwipBackendNames().map(name => join(folder, `${name}.c`));
}
