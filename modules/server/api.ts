/*
 * The public face of the server, module "ftpd" (its contract: modules/ftpd/ftpd.d.ts): the
 * FTPServer class over FtpServer, options as one dictionary with defaults from mc/config, the
 * secure default, and the uftpd-shaped default object that is also xsbug's global `ftpd`.
 *
 * Secure default: a server that listens on an address other than loopback, with no account and
 * no anonymous setting, gets the account "ftp" with a password the platform generates (kept in
 * Preferences on devices, for the process on the Linux host): nobody on the network writes to
 * the flash unless the app asked for it. Loopback keeps the open anonymous server.
 */
import * as platform from "ftpd/platform";
import {FtpServer} from "./server";
import {makeOptions, ServerOptions, AnonymousAccess} from "./options";
import {summarizeSessions, flashFigures, heapFigures, setVerbosity, loadOptionalModules, SessionSummary, FlashFigures, HeapFigures} from "./console";
import {log} from "../log/log";

export interface FTPServerOptions {
	port?: number;
	host?: string;
	user?: string;
	password?: string;
	anonymous?: AnonymousAccess;
	verbose?: number;
	maxSessions?: number;
	passivePorts?: string | number | [number, number];
	loginTimeout?: number;
	idleTimeout?: number;
	passiveTimeout?: number;
	dataWaitTimeout?: number;
	dataGrace?: number;
	transferTimeout?: number;
	image?: string;
	imageSize?: number;
	root?: string;
}

type Setting = string | number | undefined;
export type Settings = Record<string, Setting>;

/** The user name of the generated account. */
export const GENERATED_USER = "ftp";

const TIMEOUTS = ["loginTimeout", "idleTimeout", "passiveTimeout", "dataWaitTimeout", "dataGrace", "transferTimeout"] as const;

/** A whole number within min..max, from an option or a (string) mcconfig setting; fallback when unset. */
function integer(name: string, value: unknown, min: number, max: number, fallback: number): number {
	if ((undefined === value) || ("" === value))
		return fallback;
	const n = Number(value);
	if (!Number.isInteger(n) || (n < min) || (n > max))
		throw new RangeError(`ftpd: ${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
	return n;
}

function passiveRange(value: unknown): [number, number] | undefined {
	if ((undefined === value) || ("" === value) || (0 === value))
		return undefined;
	let range: unknown[];
	if (Array.isArray(value))
		range = value;
	else if ("number" === typeof value)
		range = [value, value];
	else {
		const text = String(value);
		const dash = text.indexOf("-");
		range = (dash < 0) ? [text, text] : [text.slice(0, dash), text.slice(dash + 1)];
	}
	const min = integer("passivePorts", range[0], 1024, 65535, 0);
	return [min, integer("passivePorts", range[1], min, 65535, min)];
}

function isLoopback(host: string): boolean {
	return host.startsWith("127.");
}

/** Options, then the platform's settings (mc/config on devices, FTPD_* on Linux), then the built-in defaults; throws a RangeError on a bad value. */
export function resolveOptions(options: FTPServerOptions, settings: Settings): {options: ServerOptions; generated: boolean} {
	const o = options;
	const server: Partial<ServerOptions> = {
		host: String(o.host ?? (settings.ftpHost || "0.0.0.0")),
		port: integer("port", o.port ?? settings.ftpPort, 0, 65535, 21),
		maxSessions: integer("maxSessions", o.maxSessions ?? settings.ftpMaxSessions, 1, 1000, 4),
		verbose: integer("verbose", o.verbose ?? settings.ftpVerbose, 0, 2, 1),
	};
	const user = o.user ?? (settings.ftpUser ? String(settings.ftpUser) : undefined);
	if (user) {
		server.user = user;
		server.password = String(o.password ?? settings.ftpPassword ?? "");
	}
	const anonymous = o.anonymous ?? (settings.ftpAnonymous ? String(settings.ftpAnonymous) : undefined);
	if (undefined !== anonymous) {
		if (("off" !== anonymous) && ("read" !== anonymous) && ("write" !== anonymous))
			throw new RangeError(`ftpd: anonymous must be "off", "read" or "write", not ${JSON.stringify(anonymous)}`);
		server.anonymous = anonymous;
	}
	const range = passiveRange(o.passivePorts ?? settings.ftpPassivePorts);
	if (range)
		[server.passivePortMin, server.passivePortMax] = range;
	for (const name of TIMEOUTS) {
		if (undefined !== o[name])
			server[name] = integer(name, o[name], 0, 0x7FFFFFFF, 0);
	}
	let generated = false;
	if (!user && (undefined === anonymous) && !isLoopback(server.host!)) {
		server.user = GENERATED_USER;
		server.password = platform.password();
		server.anonymous = "off";
		generated = true;
	}
	return {options: makeOptions(server), generated};
}

/** One server: listening from construction until close(). */
export class FTPServer {
	private server: FtpServer;
	/** the account's password when the server generated it (no account, anonymous not asked for, not on loopback) */
	readonly generatedPassword: string | undefined;

	constructor(options: FTPServerOptions = {}) {
		platform.mount(options);
		const resolved = resolveOptions(options, platform.settings());
		this.generatedPassword = resolved.generated ? resolved.options.password : undefined;
		this.server = new FtpServer(resolved.options);
		this.server.start();
		if (resolved.generated)
			log.info(`no account configured: log in as ${GENERATED_USER} with the generated password (ftpd.url())`);
	}

	get port(): number {
		return this.server.port;
	}

	get host(): string {
		return this.server.options.host;
	}

	get user(): string | undefined {
		return this.server.options.user;
	}

	get anonymous(): AnonymousAccess {
		return this.server.options.anonymous;
	}

	get running(): boolean {
		return this.server.running;
	}

	get sessions(): SessionSummary[] {
		return summarizeSessions(this.server);
	}

	get df(): FlashFigures {
		return flashFigures(this.server.files);
	}

	/** The URL to give a client: the generated password in it, a configured one never. */
	url(address?: string): string {
		const o = this.server.options;
		const host = address ?? ((o.host === "0.0.0.0") ? "127.0.0.1" : o.host);
		const port = (this.port === 21) ? "" : `:${this.port}`;
		const who = !o.user ? "" : this.generatedPassword ? `${o.user}:${this.generatedPassword}@` : `${o.user}@`;
		return `ftp://${who}${host}${port}/`;
	}

	/** Every session gets 421, the listener closes. */
	close(): void {
		this.server.stop();
	}
}

let current: FTPServer | undefined;
let lastOptions: FTPServerOptions | undefined;

/** The uftpd-shaped singleton; also the global `ftpd` of xsbug's console once started. */
const ftpd = {
	/** Starts the server (nothing when it runs); options default to the last start's. */
	start(options?: FTPServerOptions): FTPServer {
		if (current)
			return current;
		loadOptionalModules();
		options ??= lastOptions ?? {};
		current = new FTPServer(options);
		lastOptions = options;
		(globalThis as unknown as {ftpd: typeof ftpd}).ftpd = ftpd;
		return current;
	},
	stop(): void {
		current?.close();
		current = undefined;
	},
	restart(options?: FTPServerOptions): FTPServer {
		ftpd.stop();
		return ftpd.start(options);
	},
	get server(): FTPServer | undefined {
		return current;
	},
	get verbose(): number {
		return log.level;
	},
	set verbose(level: number) {
		setVerbosity(level);
	},
	get sessions(): SessionSummary[] {
		return current ? current.sessions : [];
	},
	get df(): FlashFigures | undefined {
		return current?.df;
	},
	get free(): HeapFigures | undefined {
		return heapFigures();
	},
	url(address?: string): string | undefined {
		return current?.url(address);
	},
};

export default ftpd;
