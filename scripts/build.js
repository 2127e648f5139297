// npm run build [-- release|debug|instrument]: builds the Linux host and prints its path.
import {buildHost} from "./sdk.js";

const kind = process.argv[2] ?? "release";
if (!["release", "debug", "instrument"].includes(kind)) {
	console.error(`usage: npm run build [-- release|debug|instrument]`);
	process.exit(2);
}
console.log(buildHost({kind}));
