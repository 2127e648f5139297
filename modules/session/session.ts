/*
 * One client's session, driven by its command lines: `for await (const input of control)`.
 * It holds the per-session state (user, directory, type, REST offset, rename source) and
 * hands each verb to the command table.
 *
 * Memory: in XS a suspended async function costs about 42 slots and 430 bytes of chunks
 * (its frame, its promise, the reaction to what it awaits), and each level of a chain of them
 * costs that again. So the loop awaits a command's promise itself (one level for the session,
 * however deep the command), a command awaits at most in one async function of its own
 * (Session.transfer for the data channel), and helpers return promises rather than await
 * them. Methods are TypeScript-private, not #private: XS gives each instance a slot for
 * every #method.
 */
import {ControlConnection} from "./control";
import {SessionData} from "./data";
import {verbOf, argumentOf} from "../protocol/lines";
import {formatReply} from "../protocol/reply";
import {formatTransfer} from "./report";
import {resolvePath, isProblem} from "../files/paths";
import {FileService, FtpError, isHidden, replyFor} from "../files/service";
import type {DataConnection, FileSource} from "ftpsock";
import type {DataChannelPool} from "../datachannel/pool";
import type {ServerOptions} from "../server/options";
import type {SessionSummary, FlashFigures, HeapFigures} from "../server/figures";
import {log} from "../log/log";

/** What a session needs of its server. */
export interface ServerContext {
	readonly options: ServerOptions;
	readonly files: FileService;
	readonly pool: DataChannelPool;
	readonly commands: CommandTable;
	/** every connected session, for SITE WHO */
	readonly sessions: ReadonlySet<Session>;
	/** seconds since the epoch */
	now(): number;
	/** the session has ended: it leaves the registry */
	ended(session: Session): void;
	/** the live console's figures (server/console.ts), for SITE: who is connected */
	summarizeSessions(): SessionSummary[];
	/** flash total, used, free; throws an FtpError when the volume cannot tell */
	flashFigures(): FlashFigures;
	/** the XS heap, or undefined when this build has no instrumentation */
	heapFigures(): HeapFigures;
	/** sets the log's verbosity, 0..2; returns the level set */
	setVerbosity(level: number): number;
}

/*
 * What the command table (commands/) knows of each verb, as ftpserverlib's and pyftpdlib's
 * tables: its handler, whether it needs a login, its argument, whether it writes, and its HELP
 * and FEAT text. Declared here, beside the session that runs them, so that the session does
 * not import the commands that import it; commands/command.ts names them for the commands.
 */
export interface Command {
	run(session: Session, argument: string): void | Promise<void>;
	/** allowed before login (FEAT, SYST, OPTS...) */
	anonymous?: boolean;
	/** "required": 501 without one; "none": 501 with one */
	argument?: "required" | "none" | "optional";
	/** changes storage: refused to read-only users */
	writes?: boolean;
	/** uses the data channel: released when the command fails before its transfer */
	transfer?: boolean;
	/** syntax for HELP, e.g. "RETR <path>" */
	help: string;
	/** FEAT lines this verb adds */
	feat?: string[];
}

export type CommandTable = Record<string, Command>;

/** An upload into a temporary file, renamed over its target once complete. */
export interface Replacement {
	readonly temporary: string;
	readonly path: string;
}

/** Why a transfer ended without a reply of its own, for its log line. */
const TRANSFER_CAUSES: Readonly<Record<string, string>> = Object.freeze({
	ECONNRESET: "ECONNRESET: the client closed or reset a connection before the end",
	ETIMEDOUT: "ETIMEDOUT: no progress within the transfer timeout",
	EABORTED: "EABORTED: the data connection was closed",
});

/** Verbs after which a REST offset still holds (clients send REST before or after PASV/TYPE). */
const KEEPS_REST = new Set(["REST", "RETR", "STOR", "APPE", "PASV", "EPSV", "PORT", "EPRT", "TYPE", "MODE", "STRU", "NOOP"]);

/**
 * Listings are not logged as transfers at verbosity 1 when they succeed: a file manager lists
 * every folder it shows, and a listing changes nothing (verbosity 2 shows them). A failed
 * listing is logged like a failed transfer.
 */
const LISTINGS = new Set(["LIST", "NLST", "MLSD"]);

/** The number of the next session, for the log: "#3 127.0.0.1". */
let sessionCount = 0;

export class Session {
	readonly control: ControlConnection;
	readonly server: ServerContext;
	readonly data: SessionData;
	readonly remoteAddress: string;
	/** the session's number since the server started, for the log */
	readonly id: number;
	readonly connectedAt: number;
	user = "";
	loggedIn = false;
	/** may change storage */
	writable = false;
	/** logged in as the configured account (not as a guest) */
	account = false;
	loginFailures = 0;
	cwd = "/";
	binary = false;
	restOffset = 0;
	renameFrom: string | undefined;
	/** EPSV ALL: only EPSV from now on (RFC 2428) */
	epsvOnly = false;
	/** what the session is doing, for STAT and the live console */
	activity = "idle";
	lastCommandAt: number;
	/**
	 * The data transfer under way, for SITE WHO, the live console and its log line: its path
	 * (undefined when none; its verb is `activity`), start (ms since the epoch) and size in
	 * bytes (-1 when unknown). Fields of the session, not an object per transfer.
	 */
	transferPath: string | undefined;
	transferStart = 0;
	transferSize = -1;
	/** ms since the epoch when the session is closed for silence; undefined while a command runs */
	#deadline: number | undefined;
	/** ms since the epoch when a session that is not logged in is closed */
	#loginDeadline: number | undefined;
	#aborted = false;
	/** the command under way, for its failure */
	#command: Command | undefined;

	constructor(server: ServerContext, control: ControlConnection) {
		this.server = server;
		this.control = control;
		this.remoteAddress = control.remoteAddress;
		this.id = ++sessionCount;
		this.connectedAt = this.lastCommandAt = server.now();
		this.data = new SessionData(this);
		control.owner = this;
	}

	/** How the log names the session: "#3 127.0.0.1" (two sessions from one address differ). */
	get label(): string {
		return `#${this.id} ${this.remoteAddress}`;
	}

	reply(code: number, text: string): void {
		const reply = formatReply(code, text);
		if (log.level >= 2)
			this.logReply(reply);
		this.control.write(reply);
	}

	/** Sends a last reply and ends the session. */
	close(code: number, text: string): void {
		this.reply(code, text);
		this.control.close();
	}

	/** The volume path of a client's path argument, or a 553. Temporary uploads are not reachable. */
	resolve(argument: string): string {
		const path = resolvePath(this.cwd, argument);
		if (isProblem(path))
			throw new FtpError(553, (path === "too long") ? "File name too long." : "File name not allowed.");
		if (isHidden(path))
			throw new FtpError(550, "No such file or directory.");
		return path;
	}

	/** Serves the session until it ends; never rejects. */
	async run(): Promise<void> {
		log.info(`${this.label} connected`);
		this.reply(220, "moddable-ftpd ready.");
		this.arm();
		try {
			for await (const input of this.control) {
				this.disarm();
				if (undefined !== input.problem)
					this.reply(500, (input.problem === "too long") ? "Command line too long." : `Command line rejected: ${input.problem}.`);
				else {
					const pending = this.execute(input.line);
					if (pending) {
						try {
							await pending;
						}
						catch (error) {
							this.failed(error);
						}
					}
					this.#command = undefined;
					this.activity = "idle";
				}
				if (this.control.closed)
					break;
				this.arm();
			}
		}
		catch (error) {
			log.error(`${this.label}: ${(error as Error).message}`);
		}
		finally {
			this.end();
		}
	}

	/**
	 * Runs a transfer on the data connection: 150, the transfer, then 226 or the reply its
	 * failure calls for. ABOR on the control connection ends it with 426, then 226.
	 * `move` starts the bytes moving and returns their promise (it is not itself async: one
	 * suspended level is enough). An upload `replacing` a file is renamed over it only once
	 * complete, and its temporary is removed when it fails. `path` (the file, or the listed
	 * folder) and `size` (bytes to move, -1 when unknown) are for SITE WHO and the log line
	 * each transfer gets at verbosity 1. A download's `source`, opened before (RETR), is
	 * `move`'s to send; it is closed here when the transfer fails before `move` took it over
	 * (no data connection: 425, ABOR, the session's end).
	 */
	async transfer(opening: string, path: string, size: number, move: (connection: DataConnection) => Promise<unknown>, replacing?: Replacement, source?: FileSource): Promise<void> {
		let connection: DataConnection;
		try {
			connection = await this.data.open();
		}
		catch (error) {
			source?.close();
			throw error;
		}
		this.reply(150, opening);
		this.transferPath = path;
		this.transferSize = size;
		this.transferStart = Date.now();
		this.#aborted = false;
		if (replacing)
			this.control.preparePeer();
		try {
			await move(connection);
			if (replacing) {
				// a client that dies closes both connections: its data FIN looks like a complete
				// upload, so the old file is replaced only if the control connection is still
				// open at the socket layer once a trailing FIN or RST has had its grace
				if (!await this.control.confirmPeer(connection.sinceEnd))
					throw new Error("ECONNRESET");
				this.server.files.rename(replacing.temporary, replacing.path);
			}
			this.logTransfer(connection.bytes, 226);
			this.data.release();
			this.reply(226, "Transfer complete.");
		}
		catch (error) {
			// read before the release, which closes the connection
			const bytes = connection.bytes;
			// nothing when move took it over (it always has, unless the connection refused it)
			source?.close();
			if (replacing)
				this.server.files.discard(replacing.temporary);
			this.data.release();
			const code = (error as Error).message;
			if (this.#aborted) {
				this.reply(426, "Transfer aborted.");
				this.reply(226, "ABOR command successful.");
				this.logTransfer(bytes, 426, "aborted by ABOR");
			}
			else if (error instanceof FtpError) {
				this.reply(error.code, error.message);
				this.logTransfer(bytes, error.code, error.message);
			}
			else if ((code === "ECONNRESET") || (code === "ETIMEDOUT") || (code === "EABORTED")) {
				this.reply(426, `Connection closed; transfer aborted (${code}).`);
				this.logTransfer(bytes, 426, TRANSFER_CAUSES[code]);
			}
			else {
				const reply = replyFor(code);
				this.reply(reply.code, reply.message);
				this.logTransfer(bytes, reply.code, `${code}: ${reply.message}`);
			}
		}
		finally {
			this.transferPath = undefined;
			this.transferSize = -1;
			this.transferStart = 0;
			this.#aborted = false;
		}
	}

	/**
	 * The transfer's log line at verbosity 1: "#3 127.0.0.1 admin RETR /a.bin: 1048576 bytes
	 * in 0.052 s (19.2 MB/s), 226", or its failure's code and cause (a warning). A listing
	 * that succeeds is not logged (LISTINGS).
	 */
	private logTransfer(bytes: number, code: number, cause?: string): void {
		if ((log.level < 1) || ((code === 226) && LISTINGS.has(this.activity)))
			return;
		const line = `${this.label} ${formatTransfer(this.user, this.activity, this.transferPath ?? "", bytes, Date.now() - this.transferStart, code, cause)}`;
		if (code === 226)
			log.info(line);
		else
			log.warn(line);
	}

	/** A reply at verbosity 2, every line of it with the session's label: "#3 127.0.0.1 < 211-...". */
	private logReply(reply: string): void {
		const prefix = `${this.label} < `;
		let start = 0;
		// the reply as it goes on the wire, CRLF-terminated lines
		for (let end = reply.indexOf("\r\n"); end >= 0; end = reply.indexOf("\r\n", start)) {
			log.protocol(prefix + reply.slice(start, end));
			start = end + 2;
		}
	}

	/** Runs one command line; returns the command's promise when it goes on asynchronously. */
	private execute(line: string): Promise<void> | void {
		// the two halves without parseCommand's object: this runs for every command
		const verb = verbOf(line);
		const argument = argumentOf(line);
		if (log.level >= 2)
			log.protocol(`${this.label} > ${(verb === "PASS") ? "PASS ****" : line}`);
		this.lastCommandAt = this.server.now();
		if (!KEEPS_REST.has(verb))
			this.restOffset = 0;
		const renameFrom = this.renameFrom;
		this.renameFrom = undefined;

		const command = this.server.commands[verb];
		if (!command)
			return this.reply(502, "Command not implemented.");
		if (!command.anonymous && !this.loggedIn)
			return this.refuse(command, 530, "Please login with USER and PASS.");
		if ((command.argument === "required") && !argument.length)
			return this.refuse(command, 501, `Syntax: ${command.help}`);
		if ((command.argument === "none") && argument.length)
			return this.refuse(command, 501, `Syntax: ${command.help}`);
		if (command.writes && !this.writable)
			return this.refuse(command, 550, "Permission denied.");
		if (verb === "RNTO")
			this.renameFrom = renameFrom;
		this.activity = verb;
		this.#command = command;
		try {
			return command.run(this, argument);
		}
		catch (error) {
			this.failed(error);
		}
	}

	/** A command that threw or rejected: its FTP reply, or 451 for what it did not expect. */
	private failed(error: unknown): void {
		if (this.#command?.transfer)
			this.data.release();
		if (error instanceof FtpError)
			this.reply(error.code, error.message);
		else {
			log.error(`${this.activity}: ${(error as Error).message}`);
			this.reply(451, "Local error in processing.");
		}
	}

	/**
	 * A transfer command refused before it runs gives the data channel back, as one that
	 * fails while running does: a PASV left behind would hold the one shared channel until
	 * the passive timeout, and every other session would wait for it.
	 */
	private refuse(command: Command, code: number, text: string): void {
		if (command.transfer)
			this.data.release();
		this.reply(code, text);
	}

	/**
	 * Sees each control input before it is queued: takes an ABOR that interrupts a transfer.
	 * An ABOR that finds nothing to interrupt (the bytes have all moved, and the transfer's
	 * promise settles a turn later, or an upload waits for its rename) is left in the queue
	 * like any command: it is answered 226 after the transfer's own reply, never lost. So is
	 * one that arrives while a transfer command waits for its client to connect: that wait
	 * ends at once (426) instead of at the passive timeout.
	 */
	interrupt(line: string | undefined): boolean {
		const transferring = undefined !== this.transferPath;
		if ((undefined === line) || !(transferring || this.data.accepting))
			return false;
		if (verbOf(line) !== "ABOR")
			return false;
		if (!transferring) {
			this.data.stopAccepting();
			return false;
		}
		if (!this.data.abort())
			return false;
		log.protocol(`${this.label} > ABOR`);
		// the transfer's promise rejects with EABORTED: its failure answers 426, then 226
		this.#aborted = true;
		return true;
	}

	/**
	 * The login timeout before login, the idle timeout after. The login timeout counts from
	 * the connection (or from the logout of USER/REIN), not from the last command: a client
	 * that sends NOOP and never logs in must not keep one of the few sessions for ever.
	 * The server's sweep (FtpServer) closes the session once the deadline has passed: no
	 * timer per session, none set and cleared per command.
	 */
	private arm(): void {
		const o = this.server.options;
		const now = Date.now();
		if (this.loggedIn) {
			this.#loginDeadline = undefined;
			this.#deadline = now + o.idleTimeout;
		}
		else
			this.#deadline = this.#loginDeadline ??= now + o.loginTimeout;
	}

	/** No deadline while a command runs. */
	private disarm(): void {
		this.#deadline = undefined;
	}

	/** Closes the session with 421 when its deadline has passed, and a passive listener left unused past its own (`now`: ms since the epoch). */
	expire(now: number): void {
		this.data.expire(now);
		if ((undefined === this.#deadline) || (now < this.#deadline))
			return;
		this.#deadline = undefined;
		log.info(`${this.label}: ${this.loggedIn ? "idle" : "login"} timeout`);
		this.close(421, this.loggedIn ? "Idle timeout, closing control connection." : "Login timeout, closing control connection.");
	}

	private end(): void {
		this.disarm();
		this.data.abort();
		this.data.release();
		this.control.close();
		this.server.ended(this);
		log.info(`${this.label} disconnected`);
	}
}

