// The host executables the benchmark runs, each built in a folder of its own under build/
// (build/bench-*), so a benchmark never races a test run or another build for build/ftpd.
import {existsSync, readFileSync, readdirSync, rmSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";
import {buildHost, projectRoot} from "../scripts/sdk.js";

const here = dirname(fileURLToPath(import.meta.url));

// Every manifest here includes the root one, whose build NAME ("ftpd") names the executable
// whatever folder the build goes to; buildHost() assumes the executable is named after its
// folder, hence the dirname.
//
// The SDK's makefiles do not make C objects depend on mc.defines.h: after a define changes in a
// manifest (a buffer size), an incremental build would link the old objects and measure the old
// value. So when mc.defines.h changed, the module objects are removed and the build runs again.
function build(manifest, folder, kind) {
	const objects = join(projectRoot, "build", folder, "tmp", "lin", kind, "ftpd");
	const defines = join(objects, "mc.defines.h");
	const before = existsSync(defines) ? readFileSync(defines, "utf8") : undefined;
	let binary = buildHost({manifest, name: folder, kind, quiet: true});
	if ((before !== undefined) && (before !== readFileSync(defines, "utf8"))) {
		for (const name of readdirSync(objects)) {
			if (name.endsWith(".c.o"))
				rmSync(join(objects, name));
		}
		binary = buildHost({manifest, name: folder, kind, quiet: true});
	}
	return join(dirname(binary), "ftpd");
}

/** The product as shipped: release build of the root manifest. */
export function buildRelease() {
	return build(join(projectRoot, "manifest.json"), "bench-release", "release");
}

/**
 * Instrumented, with the Instrumentation and debug modules, so SITE FREE answers with the live
 * heap (collected first). The XS heap settings are the product's.
 */
export function buildHeapLive() {
	return build(join(here, "heap", "live.json"), "bench-heap-live", "instrument");
}

/**
 * Instrumented, with Instrumentation but without debug, and heaps so large that no collection
 * runs during a measurement: SITE FREE's figures then include the garbage, and the difference
 * between two of them is what was allocated in between.
 */
export function buildHeapAlloc() {
	return build(join(here, "heap", "alloc.json"), "bench-heap-alloc", "instrument");
}
