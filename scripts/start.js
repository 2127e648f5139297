// npm start [-- flags]: builds the Linux host when needed (mcconfig is incremental; a build
// prints one line per phase on stderr), then runs it with the given flags. Stops with it;
// forwards SIGINT/SIGTERM. stdout carries only the host's own output (its ready line).
import {spawn} from "node:child_process";
import {buildHostWithProgress, BuildError} from "./sdk.js";

// `npm start --port 2200` gives npm the flag (npm_config_port=true) and the server only "2200":
// say how to pass it instead of starting on the default port or failing on "2200"
const SERVER_FLAGS = ["port", "host", "image", "image-size", "root", "user", "password", "anonymous", "max-sessions",
	"passive-ports", "login-timeout", "idle-timeout", "passive-timeout", "data-wait-timeout", "data-grace", "transfer-timeout"];
const eaten = SERVER_FLAGS.filter(flag => process.env["npm_config_" + flag.replaceAll("-", "_")] !== undefined);
if (eaten.length) {
	// npm passed the values of the flags it took as booleans on, in order
	const values = process.argv.slice(2).filter(arg => !arg.startsWith("-"));
	const example = ["npm start --", ...eaten.map(flag => {
		const value = process.env["npm_config_" + flag.replaceAll("-", "_")];
		return `--${flag} ${(value === "true") ? (values.shift() ?? "VALUE") : value}`;
	})].join(" ");
	console.error(`ftpd: npm took ${eaten.map(flag => "--" + flag).join(", ")} for itself: the server's flags go after --, as in: ${example}`);
	process.exit(2);
}

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
