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
import {parseCommand} from "../protocol/lines";
import {formatReply} from "../protocol/reply";
import {resolvePath, isProblem} from "../files/paths";
import {FileService, FtpError, isHidden, replyFor} from "../files/service";
import type {DataConnection} from "ftpsock";
import type {Command, CommandTable} from "../commands/command";
import type {DataChannelPool} from "../datachannel/pool";
import type {ServerOptions} from "../server/options";
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
}

/** An upload into a temporary file, renamed over its target once complete. */
export interface Replacement {
	readonly temporary: string;
	readonly path: string;
}

/** Verbs after which a REST offset still holds (clients send REST before or after PASV/TYPE). */
const KEEPS_REST = new Set(["REST", "RETR", "STOR", "APPE", "PASV", "EPSV", "PORT", "EPRT", "TYPE", "MODE", "STRU", "NOOP"]);

export class Session {
	readonly control: ControlConnection;
	readonly server: ServerContext;
	readonly data: SessionData;
	readonly remoteAddress: string;
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
	/** the data transfer under way (its verb and start, seconds since the epoch), for SITE WHO and the live console */
	currentTransfer: {verb: string; since: number} | undefined;
	/** ms since the epoch when the session is closed for silence; undefined while a command runs */
	#deadline: number | undefined;
	/** ms since the epoch when a session that is not logged in is closed */
	#loginDeadline: number | undefined;
	#aborted = false;
	#transferring = false;
	/** the command under way, for its failure */
	#command: Command | undefined;

	constructor(server: ServerContext, control: ControlConnection) {
		this.server = server;
		this.control = control;
		this.remoteAddress = control.remoteAddress;
		this.connectedAt = this.lastCommandAt = server.now();
		this.data = new SessionData(server.pool, server.options, this.remoteAddress);
		control.owner = this;
	}

	reply(code: number, text: string): void {
		if (log.level >= 2)
			log.protocol(`${this.remoteAddress} < ${code} ${text}`);
		this.control.write(formatReply(code, text));
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
		log.info(`${this.remoteAddress} connected`);
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
			log.error(`session ${this.remoteAddress}: ${(error as Error).message}`);
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
	 * complete, and its temporary is removed when it fails.
	 */
	async transfer(opening: string, move: (connection: DataConnection) => Promise<unknown>, replacing?: Replacement): Promise<void> {
		const connection = await this.data.open();
		this.reply(150, opening);
		this.currentTransfer = {verb: this.activity, since: this.server.now()};
		this.#transferring = true;
		this.#aborted = false;
		try {
			await move(connection);
			if (replacing) {
				// a client that dies closes both connections: its data FIN looks like a complete
				// upload, so the old file is replaced only if the control connection is still
				// open at the socket layer once a trailing FIN or RST has had its grace
				if (!await this.control.confirmPeer())
					throw new Error("ECONNRESET");
				this.server.files.rename(replacing.temporary, replacing.path);
			}
			this.data.release();
			this.reply(226, "Transfer complete.");
		}
		catch (error) {
			if (replacing)
				this.server.files.discard(replacing.temporary);
			this.data.release();
			const code = (error as Error).message;
			if (this.#aborted) {
				this.reply(426, "Transfer aborted.");
				this.reply(226, "ABOR command successful.");
			}
			else if (error instanceof FtpError)
				this.reply(error.code, error.message);
			else if ((code === "ECONNRESET") || (code === "ETIMEDOUT") || (code === "EABORTED"))
				this.reply(426, `Connection closed; transfer aborted (${code}).`);
			else {
				const reply = replyFor(code);
				this.reply(reply.code, reply.message);
			}
			log.warn(`${this.remoteAddress}: transfer failed: ${code}`);
		}
		finally {
			this.currentTransfer = undefined;
			this.#transferring = false;
			this.#aborted = false;
		}
	}

	/** Runs one command line; returns the command's promise when it goes on asynchronously. */
	private execute(line: string): Promise<void> | void {
		const {verb, argument} = parseCommand(line);
		if (log.level >= 2)
			log.protocol(`${this.remoteAddress} > ${(verb === "PASS") ? "PASS ****" : line}`);
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
		if ((undefined === line) || !(this.#transferring || this.data.accepting))
			return false;
		if (parseCommand(line).verb !== "ABOR")
			return false;
		if (!this.#transferring) {
			this.data.stopAccepting();
			return false;
		}
		if (!this.data.abort())
			return false;
		log.protocol(`${this.remoteAddress} > ABOR`);
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

	/** Closes the session with 421 when its deadline has passed (`now`: ms since the epoch). */
	expire(now: number): void {
		if ((undefined === this.#deadline) || (now < this.#deadline))
			return;
		this.#deadline = undefined;
		log.info(`${this.remoteAddress}: ${this.loggedIn ? "idle" : "login"} timeout`);
		this.close(421, this.loggedIn ? "Idle timeout, closing control connection." : "Login timeout, closing control connection.");
	}

	private end(): void {
		this.disarm();
		this.data.abort();
		this.data.release();
		this.control.close();
		this.server.ended(this);
		log.info(`${this.remoteAddress} disconnected`);
	}
}

