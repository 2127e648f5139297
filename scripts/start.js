// npm start [-- flags]: builds the Linux host when needed (mcconfig is incremental), then runs
// it with the given flags. Stops with it; forwards SIGINT/SIGTERM.
import {spawn} from "node:child_process";
import {buildHost} from "./sdk.js";

const binary = buildHost({quiet: true});
const child = spawn(binary, process.argv.slice(2), {stdio: "inherit"});
for (const signal of ["SIGINT", "SIGTERM"])
	process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
