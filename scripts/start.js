// npm start [-- flags]: builds the Linux host when needed (mcconfig is incremental; a build
// prints one line per phase on stderr), then runs it with the given flags. Stops with it;
// forwards SIGINT/SIGTERM. stdout carries only the host's own output (its ready line).
import {spawn} from "node:child_process";
import {buildHostWithProgress, BuildError} from "./sdk.js";

let binary;
try {
	binary = await buildHostWithProgress({}, line => console.error(`ftpd: ${line}`));
}
catch (error) {
	if (!(error instanceof BuildError))
		throw error;
	console.error("ftpd: " + error.describe());
	process.exit(1);
}
const child = spawn(binary, process.argv.slice(2), {stdio: "inherit"});
for (const signal of ["SIGINT", "SIGTERM"])
	process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
