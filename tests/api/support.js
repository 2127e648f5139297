// Runs apps built on the include (tests/api): their own binaries, with their own ready lines.
import {spawn} from "node:child_process";

/** Runs a built app until `ready` matches its stdout; resolves with {proc, stdout, match}. */
export function runApp(binary, {env = {}, cwd, ready, args = []}) {
	const proc = spawn(binary, args, {cwd, env: {...process.env, ...env}, stdio: ["ignore", "pipe", "pipe"]});
	const app = {proc, stdout: "", stderr: "", match: undefined};
	proc.stdout.setEncoding("utf8");
	proc.stderr.setEncoding("utf8");
	proc.stderr.on("data", text => { app.stderr += text; });
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`not ready in 20 s; stdout:\n${app.stdout}\nstderr:\n${app.stderr}`)), 20000);
		proc.stdout.on("data", text => {
			app.stdout += text;
			const match = ready.exec(app.stdout);
			if (match && !app.match) {
				app.match = match;
				clearTimeout(timer);
				resolve(app);
			}
		});
		proc.on("exit", code => {
			clearTimeout(timer);
			reject(new Error(`exited (${code}) before it was ready; stdout:\n${app.stdout}\nstderr:\n${app.stderr}`));
		});
	});
}

export function stopApp(app) {
	if (app && (app.proc.exitCode === null) && (app.proc.signalCode === null)) {
		app.proc.kill("SIGKILL");
		return new Promise(resolve => app.proc.on("exit", resolve));
	}
}
