/*
 * One client's session, driven by its command lines: `for await (const input of control)`.
 * It holds the per-session state (user, directory, type, REST offset, rename source) and
 * hands each verb to the command table.
 *
 * A transfer (RETR, STOR, LIST...) is not awaited: its command starts it (startTransfer) and
 * returns, the control connection holds the next line until it ends, and the data
 * connection's native callbacks drive it to its last reply (finish()). The loop goes on only
 * with the next line, as FTP wants.
 *
 * Cost: in XS a suspended async function holds about 42 slots and 430 bytes of chunks (its
 * frame, its promise, the reaction to what it awaits), and each await is a turn of promise
 * jobs; a transfer held that for as long as it ran, and a PASV with its RETR took five turns
 * (two now). So the loop awaits only its next line and the rare command that must wait (a
 * PASV queued for the shared channel, a failed login's delay), helpers return promises
 * rather than await them, and the paths every command takes are written flat (inline
 * checks, no object per command that a field can stand for): XS spends as much on a call or
 * on a method of a string as on a dozen plain statements. Methods are TypeScript-private,
 * not #private: XS gives each instance a slot for every #method.
 */
import {ControlConnection} from "./control";
import {SessionData} from "./data";
import {verbOf} from "../protocol/lines";
import {formatReply, CODE_TEXT} from "../protocol/reply";
import {formatTransfer} from "./report";
import {resolvePath} from "../files/paths";
import {FileService, FtpError, HIDDEN_NAME, replyFor} from "../files/service";
import type {Transfer, Mover, Replacement} from "./transfer";
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

/** A data connection of a transfer, which its native callback finds its session through. */
type TransferConnection = DataConnection & {session?: Session};

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

// XS finds a property by walking an instance's own properties in the order they were made,
// then its prototype's: the fields every command reads come first, and a method call walks
// them all, so the session keeps few.
export class Session {
	readonly control: ControlConnection;
	readonly server: ServerContext;
	readonly data: SessionData;
	/** The data transfer under way (its verb is `activity`), for SITE WHO and the live console. */
	transfer: Transfer | undefined;
	loggedIn = false;
	restOffset = 0;
	renameFrom: string | undefined;
	/** the command under way (undefined between commands), for its failure and the deadline */
	#command: Command | undefined;
	/** ms since the epoch when the last command ended: the idle timeout and SITE WHO's idle time count from there */
	idleSince = 0;
	/** what the session is doing, for STAT and the live console */
	activity = "idle";
	cwd = "/";
	/** may change storage */
	writable = false;
	binary = false;
	user = "";
	/** logged in as the configured account (not as a guest) */
	account = false;
	loginFailures = 0;
	/** EPSV ALL: only EPSV from now on (RFC 2428) */
	epsvOnly = false;
	/** ms since the epoch when a session that is not logged in is closed */
	#loginDeadline: number;
	readonly remoteAddress: string;
	/** the session's number since the server started, for the log */
	readonly id: number;

	constructor(server: ServerContext, control: ControlConnection) {
		this.server = server;
		this.control = control;
		this.remoteAddress = control.remoteAddress;
		this.id = ++sessionCount;
		// the login timeout counts from the connection (or from the logout of USER or REIN), not
		// from the last command: a client that sends NOOP and never logs in must not keep one of
		// the few sessions for ever
		this.#loginDeadline = Date.now() + server.options.loginTimeout;
		this.data = new SessionData(this);
		control.owner = this;
	}

	/** Runs one command line; returns the command's promise when it goes on asynchronously. */
	private execute(line: string): Promise<void> | void {
		// the verb and what follows it (spaces kept, per RFC 959 pathnames), split inline: this
		// runs for every command
		const space = line.indexOf(" ");
		let verb = (space < 0) ? line : line.slice(0, space);
		const argument = (space < 0) ? "" : line.slice(space + 1);
		// clients send verbs in capitals: toUpperCase() only when the table has no such verb
		let command = this.server.commands[verb];
		if (!command) {
			verb = verb.toUpperCase();
			command = this.server.commands[verb];
		}
		if (log.level >= 2)
			log.protocol(`${this.label} > ${(verb === "PASS") ? "PASS ****" : line}`);
		if (this.restOffset && !KEEPS_REST.has(verb))
			this.restOffset = 0;
		// RNFR's path holds for the next command only, which must be RNTO
		const renameFrom = this.renameFrom;
		if (undefined !== renameFrom)
			this.renameFrom = undefined;

		if (!command)
			return this.reply(502, "Command not implemented.");
		if (!command.anonymous && !this.loggedIn)
			return this.refuse(command, 530, "Please login with USER and PASS.");
		const rule = command.argument;
		if (rule && ((rule === "required") ? (argument === "") : ((rule === "none") && (argument !== ""))))
			return this.refuse(command, 501, `Syntax: ${command.help}`);
		if (command.writes && !this.writable)
			return this.refuse(command, 550, "Permission denied.");
		if ((undefined !== renameFrom) && (verb === "RNTO"))
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

	/** How the log names the session: "#3 127.0.0.1" (two sessions from one address differ). */
	get label(): string {
		return `#${this.id} ${this.remoteAddress}`;
	}

	/** A one-line reply: `text` has no line break (replyLines() for those that have). */
	reply(code: number, text: string): void {
		const reply = `${CODE_TEXT[code] ?? code} ${text}\r\n`;
		if (log.level >= 2)
			log.protocol(`${this.label} < ${code} ${text}`);
		this.control.write(reply);
	}

	/** A reply of one or more lines, separated by "\n" in `text` (RFC 959's multi-line form). */
	replyLines(code: number, text: string): void {
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
		// resolvePath's two problems (two comparisons cost less than a startsWith())
		if ((path === "too long") || (path === "invalid name"))
			throw new FtpError(553, (path === "too long") ? "File name too long." : "File name not allowed.");
		// isHidden() inline: this runs for every command with a path
		if (path.includes(HIDDEN_NAME))
			throw new FtpError(550, "No such file or directory.");
		return path;
	}

	/** Serves the session until it ends; never rejects. */
	async run(): Promise<void> {
		log.info(`${this.label} connected`);
		this.reply(220, "moddable-ftpd ready.");
		this.idle();
		try {
			// ends when the control connection does (QUIT, the client gone, a timeout's 421)
			for await (const input of this.control) {
				if (typeof input !== "string")
					this.reply(500, (input.problem === "too long") ? "Command line too long." : `Command line rejected: ${input.problem}.`);
				else {
					const pending = this.execute(input);
					if (pending) {
						try {
							await pending;
						}
						catch (error) {
							this.failed(error);
						}
					}
				}
				// a transfer goes on without the loop (the control connection holds the next
				// line): its end makes the session idle. idle() inline: this runs for every command
				if (!this.transfer) {
					this.#command = undefined;
					this.activity = "idle";
					this.idleSince = Date.now();
				}
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
	 * Runs a transfer on the data connection: 150, the bytes moved natively, then 226 or the
	 * reply its failure calls for; ABOR on the control connection ends it with 426, then 226.
	 * Not an async function: the data connection's callbacks drive it, and the control
	 * connection holds the next line until its end (finish()). An upload `replacing` a file is
	 * renamed over it only once complete, and its temporary is removed when it fails. A
	 * download's `source`, opened by its command, is closed when the transfer fails before
	 * `move` took it over (no data connection: 425, ABOR, the passive timeout). Throws (the
	 * command's failure) when there is nothing to connect to.
	 */
	startTransfer(opening: string, path: string, size: number, move: Mover, replacing?: Replacement, source?: FileSource): void {
		// a literal: no constructor call (Transfer is its shape)
		const transfer: Transfer = {opening, path, size, move, replacing, source, start: 0};
		this.transfer = transfer;
		// throws the 425 of nothing to connect to: failed() forgets the transfer
		const connection = this.data.open();
		this.control.hold();
		if (connection)
			this.move(connection);
	}

	/** DataOwner: the connection the transfer waited for, or why there is none. */
	opened(connection: DataConnection | undefined, error?: FtpError): void {
		if (!this.transfer) {
			connection?.close();
			return;
		}
		if (connection)
			this.move(connection);
		else
			this.finish(error, 0);
	}

	private move(connection: DataConnection): void {
		const transfer = this.transfer!;
		this.reply(150, transfer.opening);
		transfer.start = Date.now();
		if (transfer.replacing)
			this.control.preparePeer();
		(connection as TransferConnection).session = this;
		let code: string | undefined;
		try {
			code = transfer.move(connection, Session.transferred);
		}
		catch (error) {
			return this.finish(error, 0);
		}
		if (code)
			this.finish(new Error(code), 0);
	}

	/** The native callback of every transfer (ftpsock's start* methods), with the connection as `this`. */
	private static transferred(this: TransferConnection, code: string | undefined, bytes: number): void {
		const session = this.session!;
		const transfer = session.transfer;
		if (!transfer)
			return;
		if (code)
			return session.finish(new Error(code), bytes);
		if (!transfer.replacing)
			return session.finish(undefined, bytes);
		session.commit(this, transfer.replacing, bytes);
	}

	/** An upload has all its bytes: renamed over its target, unless its client is gone. */
	private commit(connection: DataConnection, replacing: Replacement, bytes: number): void {
		// a client that dies closes both connections: its data FIN looks like a complete
		// upload, so the old file is replaced only if the control connection is still open at
		// the socket layer once a trailing FIN or RST has had its grace
		this.control.confirmPeer(connection.sinceEnd).then(open => {
			if (!open)
				return this.finish(new Error("ECONNRESET"), bytes);
			try {
				this.server.files.rename(replacing.temporary, replacing.path);
			}
			catch (error) {
				return this.finish(error, bytes);
			}
			this.finish(undefined, bytes);
		});
	}

	/** The transfer's replies and log line; the channel is kept for the next (parked) and the next line let through. */
	private finish(error: unknown, bytes: number): void {
		const transfer = this.transfer!;
		if (!error) {
			if (log.level >= 1)
				this.logTransfer(bytes, 226);
			this.data.done();
			this.reply(226, "Transfer complete.");
		}
		else {
			// nothing when move took it over (it always has, unless the connection refused it)
			transfer.source?.close();
			if (transfer.replacing) {
				// a volume that fails its reads fails this too: the transfer still gets its
				// reply and the session its next line (the temporary is swept at the next start)
				try {
					this.server.files.discard(transfer.replacing.temporary);
				}
				catch (failure) {
					log.warn(`${this.label}: ${transfer.replacing.temporary} not removed: ${(failure as Error).message}`);
				}
			}
			this.data.done();
			const code = (error as Error).message;
			if (transfer.aborted) {
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
		this.transfer = undefined;
		this.idle();
		if (transfer.orphaned)
			return this.end();
		this.control.resume();
	}

	/**
	 * The transfer's log line at verbosity 1: "#3 127.0.0.1 admin RETR /a.bin: 1048576 bytes
	 * in 0.052 s (19.2 MB/s), 226", or its failure's code and cause (a warning). A listing
	 * that succeeds is not logged (LISTINGS).
	 */
	private logTransfer(bytes: number, code: number, cause?: string): void {
		if ((log.level < 1) || ((code === 226) && LISTINGS.has(this.activity)))
			return;
		const transfer = this.transfer!;
		const line = `${this.label} ${formatTransfer(this.user, this.activity, transfer.path, bytes, Date.now() - transfer.start, code, cause)}`;
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

	/** A command that threw or rejected: its FTP reply, or 451 for what it did not expect. */
	private failed(error: unknown): void {
		// a transfer command whose transfer could not start (nothing to connect to)
		const transfer = this.transfer;
		if (transfer) {
			this.transfer = undefined;
			transfer.source?.close();
		}
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
		const transfer = this.transfer;
		if ((undefined === line) || !transfer || (verbOf(line) !== "ABOR"))
			return false;
		if (!transfer.start) {
			this.data.stopAccepting();
			return false;
		}
		// before: the transfer's callback comes with EABORTED from within abort(), and its
		// failure answers 426, then 226
		transfer.aborted = true;
		if (!this.data.abort()) {
			transfer.aborted = false;
			return false;
		}
		log.protocol(`${this.label} > ABOR`);
		return true;
	}

	/** Back to the state before login (USER after a login, REIN); the login timeout starts again. */
	logout(): void {
		this.loggedIn = false;
		this.writable = false;
		this.account = false;
		this.cwd = "/";
		this.#loginDeadline = Date.now() + this.server.options.loginTimeout;
	}

	/**
	 * Closes the session with 421 once its deadline has passed: the login timeout before login,
	 * the idle timeout after, which counts from the end of the last command (none runs while a
	 * command does); and a passive listener left unused past its own (`now`: ms since the
	 * epoch). The server's sweep (FtpServer) calls it: no timer per session, none set and
	 * cleared per command.
	 */
	expire(now: number): void {
		this.data.expire(now);
		if (this.#command || this.transfer)
			return;
		if (now < (this.loggedIn ? this.idleSince + this.server.options.idleTimeout : this.#loginDeadline))
			return;
		// once: the 421 closes the connection once it is written
		this.idleSince = this.#loginDeadline = Infinity;
		log.info(`${this.label}: ${this.loggedIn ? "idle" : "login"} timeout`);
		this.close(421, this.loggedIn ? "Idle timeout, closing control connection." : "Login timeout, closing control connection.");
	}

	/** The command is over (a transfer's at its end): the session waits for the next one. */
	private idle(): void {
		this.#command = undefined;
		this.activity = "idle";
		this.idleSince = Date.now();
	}

	private end(): void {
		if (this.transfer) {
			// the control connection is gone: the transfer ends as it would have (an upload is
			// then not committed), and the session with it
			this.transfer.orphaned = true;
			return;
		}
		this.data.abort();
		this.data.release();
		this.control.close();
		this.server.ended(this);
		log.info(`${this.label} disconnected`);
	}
}

