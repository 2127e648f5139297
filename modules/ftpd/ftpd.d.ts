/*
 * Module "ftpd": an FTP server beside your app. Add modules/manifest.json of moddable-ftpd to
 * your manifest's "include", then:
 *
 *     import ftpd from "ftpd";
 *     ftpd.start();                      // options from mc/config: ftpPort=..., ftpUser=...
 *     ftpd.start({port: 2121, user: "admin", password: "secret"});
 *     ftpd.verbose = 2;                  // every command and reply
 *     ftpd.stop();
 *
 * or, for more than one server or a life cycle of your own:
 *
 *     import {FTPServer} from "ftpd";
 *     const server = new FTPServer({port: 21});
 *     server.close();
 */
declare module "ftpd" {
	export type AnonymousAccess = "off" | "read" | "write";

	/**
	 * Every option is optional. An unset option takes the mcconfig setting in brackets (from
	 * mc/config: the manifest's "config", overridden on the mcconfig command line), else the
	 * default.
	 */
	export interface FTPServerOptions {
		/** [ftpPort] port to listen on; 0: any free port. Default 21 (x-cli-lin: 2121) */
		port?: number;
		/** [ftpHost] IPv4 address to listen on. Default "0.0.0.0", every interface (x-cli-lin: "127.0.0.1") */
		host?: string;
		/** [ftpUser] the account's name */
		user?: string;
		/** [ftpPassword] the account's password */
		password?: string;
		/**
		 * [ftpAnonymous] anonymous logins. Default: "off" with an account; without one, "write" on a
		 * loopback host only. Elsewhere, without an account and without this option, the server
		 * makes the account "ftp" with a generated password (kept in Preferences on devices) and
		 * url() gives it: nobody on the network writes to the flash unless you ask for it.
		 */
		anonymous?: AnonymousAccess;
		/** [ftpVerbose] 0 silent, 1 sessions, transfers and errors, 2 every command and reply. Default 1 */
		verbose?: number;
		/** [ftpMaxSessions] sessions at once; one more gets 421. Default 4 (esp: 2, x-cli-lin: 8) */
		maxSessions?: number;
		/** [ftpPassivePorts] passive ports: "50000-50010", a port, or [first, last]. Default: any */
		passivePorts?: string | number | [number, number];
		/** ms before a session that has not logged in gets 421. Default 30000 */
		loginTimeout?: number;
		/** ms before an idle session gets 421. Default 300000 */
		idleTimeout?: number;
		/** ms before a passive listener nobody connects to is released. Default 15000 */
		passiveTimeout?: number;
		/** ms a session waits for the shared data channel before 425. Default 30000 */
		dataWaitTimeout?: number;
		/** ms a session may hold the data channel without a transfer while another waits; 0: forever. Default 3000 */
		dataGrace?: number;
		/** ms without progress before a transfer fails. Default 60000 */
		transferTimeout?: number;
		/** Linux host: the LittleFS image to serve (else FTPD_IMAGE, else ./ftpd.lfs), created when missing */
		image?: string;
		/** Linux host: the size of a new image, bytes. Default 4194304 */
		imageSize?: number;
		/** Linux host: a folder to serve instead of an image (else FTPD_ROOT) */
		root?: string;
	}

	export interface SessionSummary {
		/** the session's number, as the log shows it ("#3 127.0.0.1") */
		id: number;
		address: string;
		/** "" before USER */
		user: string;
		/** seconds since the last command */
		idle: number;
		/** the transfer under way, undefined when none */
		transfer: TransferProgress | undefined;
	}

	export interface TransferProgress {
		verb: string;
		/** the file, or the folder listed */
		path: string;
		/** bytes moved so far */
		bytes: number;
		/** bytes to move, undefined when unknown (uploads) */
		size: number | undefined;
		/** seconds since it started */
		seconds: number;
		/** bytes per second so far */
		rate: number;
	}

	export interface FlashFigures {
		/** "littlefs" or "posix" */
		kind: string;
		total: number;
		used: number;
		free: number;
	}

	export interface HeapFigures {
		/** bytes of the XS slot heap in use */
		slots: number;
		/** bytes of the XS chunk heap in use */
		chunks: number;
		/** deepest use of the XS stack so far, bytes; undefined without instrumentation (mcconfig -d or -i) */
		stack: number | undefined;
		/** modules loaded at run time; undefined without instrumentation */
		modules: number | undefined;
		/** bytes of native memory free; undefined where the platform does not report it (Linux) */
		system: number | undefined;
		/** the garbage was collected just before */
		collected: boolean;
	}

	/**
	 * A server, listening from construction (the volume mounted first when nothing is) until
	 * close(). Throws when it cannot listen (the port is taken) or an option is bad (RangeError).
	 */
	export class FTPServer {
		constructor(options?: FTPServerOptions);
		/** the port it listens on (the chosen one when `port` was 0) */
		readonly port: number;
		readonly host: string;
		/** the account's name, undefined when there is none */
		readonly user: string | undefined;
		readonly anonymous: AnonymousAccess;
		/** the account's password when the server generated it (secure default), else undefined */
		readonly generatedPassword: string | undefined;
		readonly running: boolean;
		readonly sessions: SessionSummary[];
		readonly df: FlashFigures;
		/** ftp://[user[:generated password]@]address[:port]/ (a configured password is never in it) */
		url(address?: string): string;
		/** Every session gets 421; the listener closes. */
		close(): void;
	}

	/** uftpd's shape: one server for the app. Once started, it is also xsbug's global `ftpd`. */
	interface FtpdModule {
		/** Starts the server (nothing when it runs); without options, the last start's (or mc/config's). */
		start(options?: FTPServerOptions): FTPServer;
		/** Every session gets 421; the listener closes. Nothing when it is stopped. */
		stop(): void;
		/** stop(), then start(options). */
		restart(options?: FTPServerOptions): FTPServer;
		/** 0 silent, 1 sessions, transfers and errors, 2 every command and reply; works stopped too */
		verbose: number;
		/** who is connected ([] when stopped) */
		readonly sessions: SessionSummary[];
		/** the running server, undefined when stopped */
		readonly server: FTPServer | undefined;
		/** flash figures, undefined when stopped */
		readonly df: FlashFigures | undefined;
		/** XS heap figures: needs the SDK's instrumentation module and an instrumented build (mcconfig -d or -i) */
		readonly free: HeapFigures;
		/** the running server's url(address) */
		url(address?: string): string | undefined;
	}
	const ftpd: FtpdModule;
	export default ftpd;
}
