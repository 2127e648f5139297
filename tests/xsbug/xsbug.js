// A small stand-in for xsbug, enough to drive a debug build the way a person does in xsbug's
// console: the machine logs in, its trace() output arrives as <log> messages, and the stand-in
// breaks it, evaluates an expression in the broken frame, and lets it go on.
//
// The protocol (the SDK's xs/sources/xsDebug.c on the machine's side, tools/xsbug-log on the
// debugger's): XML over TCP. The debug machine connects to XSBUG_HOST:XSBUG_PORT when it is
// created, sends `<xsbug><login .../></xsbug>` and waits for a command. Each machine message
// is `\r\n<xsbug>...</xsbug>\r\n`; each command is `\r\n<name attributes/>\r\n`.
//   <go/>                               run on (also the answer to the login)
//   <step/>                             from an idle machine: break at once ("C: xsDebugger")
//   <eval id="@frame" path="HEX" line="N"/>   run compiled code (xsc -eval) in a broken frame;
//                                       the answer is <result line="N">...</result>
import net from "node:net";
import {execFileSync} from "node:child_process";
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {requireSDK} from "../../scripts/sdk.js";

const ENTITIES = {lt: "<", gt: ">", amp: "&", quot: "\"", apos: "'"};

function decode(text) {
	return text.replace(/&(#x?[0-9a-fA-F]+|[a-z]+);/g, (whole, name) => {
		if (name[0] !== "#")
			return ENTITIES[name] ?? whole;
		return String.fromCodePoint((name[1] === "x") ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10));
	});
}

/** An expression compiled by the SDK's xsc for the debugger's eval, as uppercase hex. */
export function compileExpression(source) {
	const xsc = join(requireSDK(), "build", "bin", "lin", "release", "xsc");
	const dir = mkdtempSync(join(tmpdir(), "xsbug-eval-"));
	try {
		writeFileSync(join(dir, "expression.js"), source);
		execFileSync(xsc, [join(dir, "expression.js"), "-p", "-d", "-eval", "-e", "-o", dir, "-r", "expression"], {stdio: "pipe"});
		return readFileSync(join(dir, "expression.xsb")).toString("hex").toUpperCase();
	}
	finally {
		rmSync(dir, {recursive: true, force: true});
	}
}

export class XsbugStandIn {
	/** every <log> text the machine sent, in order */
	logs = [];
	/** the login's name and XS version, once logged in */
	login = undefined;
	/** the connection's error, if it ended with one */
	error = undefined;
	#server;
	#socket;
	#input = "";
	#waiters = [];
	#evalCount = 0;

	/** Listens on 127.0.0.1 (`port` 0: any free port). */
	static async listen(port = 0) {
		const standIn = new XsbugStandIn();
		standIn.#server = net.createServer(socket => standIn.#accept(socket));
		await new Promise((resolve, reject) => {
			standIn.#server.once("error", reject);
			standIn.#server.listen(port, "127.0.0.1", resolve);
		});
		return standIn;
	}

	get port() {
		return this.#server.address().port;
	}

	/** All log text so far, or from log index `from`. */
	text(from = 0) {
		return this.logs.slice(from).join("");
	}

	#accept(socket) {
		if (this.#socket) {
			// one machine at a time, as xsbug shows one per tab
			socket.destroy();
			return;
		}
		this.#socket = socket;
		socket.setEncoding("utf8");
		socket.on("data", text => {
			this.#input += text;
			this.#parse();
		});
		// a machine that is killed resets the connection; the close that follows ends the waits
		socket.on("error", error => { this.error = error; });
		socket.on("close", () => {
			this.#socket = undefined;
			this.#notify({closed: true});
		});
	}

	#parse() {
		for (;;) {
			const end = this.#input.indexOf("</xsbug>");
			if (end < 0)
				return;
			const start = this.#input.indexOf("<xsbug>");
			const message = this.#input.slice(start + 7, end);
			this.#input = this.#input.slice(end + 8);
			this.#message(message);
		}
	}

	#message(message) {
		for (const m of message.matchAll(/<log(?:\s[^>]*)?>([\s\S]*?)<\/log>/g))
			this.logs.push(decode(m[1]));
		const login = /<login name="([^"]*)" value="([^"]*)"/.exec(message);
		if (login) {
			this.login = {name: decode(login[1]), value: decode(login[2])};
			// the machine waits for a first command before it runs on
			this.#send("<go/>");
		}
		const broken = /<break(?:\s[^>]*)?>([\s\S]*?)<\/break>/.exec(message);
		const local = /<local name="[^"]*" value="(@[0-9A-F]+)"/.exec(message);
		const result = /<result line="(\d+)">([\s\S]*?)<\/result>/.exec(message);
		this.#notify({
			login: !!login,
			broken: broken && {reason: decode(broken[1]), frame: local?.[1]},
			result: result && {line: Number(result[1]), body: result[2]},
		});
	}

	#notify(event) {
		for (const waiter of [...this.#waiters]) {
			if (waiter.test(event)) {
				this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
				waiter.resolve(event);
			}
			else if (event.closed) {
				this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
				waiter.reject(new Error("the machine disconnected"));
			}
		}
	}

	#wait(test, what, timeout = 10000) {
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
				reject(new Error(`xsbug stand-in: no ${what} in ${timeout} ms`));
			}, timeout);
			const waiter = {
				test,
				resolve: value => { clearTimeout(timer); resolve(value); },
				reject: error => { clearTimeout(timer); reject(error); },
			};
			this.#waiters.push(waiter);
		});
	}

	#send(command) {
		if (!this.#socket)
			throw new Error("xsbug stand-in: no machine connected");
		this.#socket.write(`\r\n${command}\r\n`);
	}

	/** Resolves once a machine has logged in (at once if one has). */
	async loggedIn(timeout) {
		if (this.login)
			return this.login;
		await this.#wait(event => event.login, "login", timeout);
		return this.login;
	}

	/**
	 * Breaks the machine, evaluates `source` in the broken frame and resumes it, as typing in
	 * xsbug's console while paused does. Resolves with `value`, the result's text (the value, or
	 * "# <exception>" when it threw), and `at`, the number of log messages received before the
	 * result: the machine sends in order on one connection, so every log line it wrote before
	 * the evaluation is among them, and none it wrote after.
	 */
	async evaluate(source) {
		const compiled = compileExpression(source);
		const broke = this.#wait(event => event.broken, "break");
		this.#send("<step/>");
		const {broken} = await broke;
		if (!broken.frame)
			throw new Error(`xsbug stand-in: broke without a frame (${broken.reason})`);
		const line = ++this.#evalCount;
		const answered = this.#wait(event => event.result && (event.result.line === line), "eval result");
		this.#send(`<eval id="${broken.frame}" path="${compiled}" line="${line}"/>`);
		const {result} = await answered;
		const at = this.logs.length;
		this.#send("<go/>");
		// a value is the first property's value; a thrown exception is text starting with "#"
		const value = /<property[^>]*\svalue="([^"]*)"/.exec(result.body);
		return {value: decode(value ? value[1] : result.body.trim()), at};
	}

	async close() {
		if (this.#socket)
			this.#socket.destroy();
		await new Promise(resolve => this.#server.close(resolve));
	}
}
