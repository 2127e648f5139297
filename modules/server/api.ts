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
import type {AnonymousAccess} from "./options";
import {resolveOptions, FTPServerOptions, GENERATED_USER} from "./settings";
import {summarizeSessions, flashFigures, heapFigures, setVerbosity} from "./console";
import type {SessionSummary, FlashFigures, HeapFigures} from "./figures";
import {log} from "../log/log";

export type {FTPServerOptions};

/** One server: listening from construction until close(). */
export class FTPServer {
	private server: FtpServer;
	/** the account's password when the server generated it (no account, anonymous not asked for, not on loopback) */
	readonly generatedPassword: string | undefined;

	constructor(options: FTPServerOptions = {}) {
		platform.mount(options);
		const resolved = resolveOptions(options, platform.settings(), platform.password);
		this.generatedPassword = resolved.generated ? resolved.options.password : undefined;
		this.server = new FtpServer(resolved.options);
		this.server.start();
		if (resolved.generated)
			log.info(`no account configured and ${resolved.options.host} is not loopback: log in as ${GENERATED_USER} with the generated password (ftpd.url())`);
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
	get free(): HeapFigures {
		return heapFigures();
	},
	url(address?: string): string | undefined {
		return current?.url(address);
	},
};

export default ftpd;
