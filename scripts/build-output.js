// Reading mcconfig's and make's output for a person: one progress line per build phase instead
// of a line per file, and for a failed build its cause and a hint instead of a stack trace.
// Pure: the tests feed it text.

/** mcconfig's per-file lines ("# cc xsAll.c") by tool, and the phase each one belongs to. */
const PHASES = Object.freeze({
	cc: "compiling C (the XS engine, the host, the native modules)",
	tsc: "compiling TypeScript",
	xsc: "compiling JavaScript to XS bytecode",
	xsid: "collecting the native functions' names",
	xsl: "linking the XS image",
	mcrez: "compiling resources",
});

/** The phase the mcconfig output line `line` starts or continues, or undefined. */
export function phaseOf(line) {
	const m = /^# (\w+) (\S+)/.exec(line);
	if (!m || !PHASES[m[1]])
		return undefined;
	// the last "# cc" line is the executable's link: "# cc ftpd"
	if ((m[1] === "cc") && !/\.(c|o|cc|cpp|S)$/.test(m[2]))
		return "linking the executable";
	return PHASES[m[1]];
}

/**
 * Feeds mcconfig's output lines to `emit` as progress: each phase once, when it starts. Returns a
 * function taking one line at a time; its `started` property says whether anything was built.
 * @param {(line: string) => void} emit
 */
export function progressFilter(emit) {
	const seen = new Set();
	const filter = line => {
		const phase = phaseOf(line);
		if (!phase || seen.has(phase))
			return;
		seen.add(phase);
		emit(phase);		// before `started` is set: emit can tell the first phase
		filter.started = true;
	};
	filter.started = false;
	return filter;
}

const HINTS = [
	{
		test: /fatal error: (glib\.h|glib-unix\.h|gio\/gio\.h|glib\/[\w./-]+): No such file|Package (glib|gio)-2\.0 was not found|glib-2\.0\.pc/,
		cause: "the GLib development headers are missing (glib.h not found)",
		hint: "sudo apt-get install libglib2.0-dev pkg-config",
	},
	{
		test: /(^|\s|\/)(cc|gcc): (command )?not found|spawn (cc|gcc) ENOENT/m,
		cause: "there is no C compiler (cc)",
		hint: "sudo apt-get install gcc make",
	},
	{
		test: /(^|\s|\/)make: (command )?not found|spawn make ENOENT/m,
		cause: "make is missing",
		hint: "sudo apt-get install make",
	},
	{
		test: /(^|\s|\/)tsc: (command )?not found|spawn tsc ENOENT/m,
		cause: "the TypeScript compiler (this project's node_modules/.bin/tsc) is missing",
		hint: "run npm install in the project folder",
	},
];

/**
 * The cause of a failed build, and a hint when one is known, from its output.
 * @param {string} output mcconfig's stdout and stderr
 * @returns {{cause: string, hint?: string, detail: string[]}} detail: the lines that show it
 */
export function diagnose(output) {
	const lines = output.split("\n").map(line => line.trimEnd()).filter(Boolean);
	for (const {test, cause, hint} of HINTS) {
		if (test.test(output))
			return {cause, hint, detail: lines.filter(line => test.test(line)).slice(0, 3)};
	}
	// tsc: "modules/x.ts(12,5): error TS2322: ..."
	const ts = lines.filter(line => /\.tsx?\(\d+,\d+\): error TS\d+:/.test(line));
	if (ts.length)
		return {cause: `TypeScript error${(ts.length > 1) ? "s" : ""}: ${ts[0]}`, hint: "fix the code at that line", detail: ts.slice(0, 10)};
	// cc: "file.c:12:5: error: ..."; ld: "undefined reference to"
	const c = lines.filter(line => /: (fatal )?error: |undefined reference to /.test(line));
	if (c.length)
		return {cause: `C compile error: ${c[0]}`, detail: c.slice(0, 10)};
	// mcconfig's own ("### Error: ...") and xsc's ("file.js:3: error: ...") messages
	const own = lines.filter(line => /^### Error|\berror\b/i.test(line) && !/^# /.test(line));
	if (own.length)
		return {cause: own[0].replace(/^### /, ""), detail: own.slice(0, 10)};
	return {cause: "the build failed", detail: lines.filter(line => !/^#{1,3} /.test(line)).slice(-10)};
}
