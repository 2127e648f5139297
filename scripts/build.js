// npm run build [-- release|debug|instrument]: builds the Linux host (one line per phase on
// stderr) and prints its path.
import {buildHostWithProgress, BuildError} from "./sdk.js";

const kind = process.argv[2] ?? "release";
if (!["release", "debug", "instrument"].includes(kind)) {
	console.error(`usage: npm run build [-- release|debug|instrument]`);
	process.exit(2);
}
try {
	console.log(await buildHostWithProgress({kind}, line => console.error(`ftpd: ${line}`)));
}
catch (error) {
	if (!(error instanceof BuildError))
		throw error;
	console.error("ftpd: " + error.describe());
	process.exit(1);
}
