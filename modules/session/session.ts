/*
 * One client's session, driven by its command lines: `for await (const input of control)`.
 * It holds the per-session state (user, directory, type, REST offset, rename source) and
 * hands each verb to the command table.
 */
import Timer from "timer";
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
	#timer: Timer | undefined;
	/** ms since the epoch when a session that is not logged in is closed */
	#loginDeadline: number | undefined;
	#aborted = false;
	#transferring = false;

	constructor(server: ServerContext, control: ControlConnection) {
		this.server = server;
		this.control = control;
		this.remoteAddress = control.remoteAddress;
		this.connectedAt = this.lastCommandAt = server.now();
		const o = server.options;
		this.data = new SessionData({
			pool: server.pool,
			host: o.host,
			portMin: o.passivePortMin,
			portMax: o.passivePortMax,
			waitTimeout: o.dataWaitTimeout,
			passiveTimeout: o.passiveTimeout,
		}, this.remoteAddress);
		control.interrupt = input => this.#interrupt(input.line);
	}

	reply(code: number, text: string): void {
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

	async run(): Promise<void> {
		log.info(`${this.remoteAddress} connected`);
		this.reply(220, "moddable-ftpd ready.");
		this.#arm();
		try {
			for await (const input of this.control) {
				this.#disarm();
				if (undefined !== input.problem)
					this.reply(500, (input.problem === "too long") ? "Command line too long." : `Command line rejected: ${input.problem}.`);
				else
					await this.#execute(input.line);
				if (this.control.closed)
					break;
				this.#arm();
			}
		}
		finally {
			this.#end();
		}
	}

	/**
	 * Runs a transfer on the data connection: 150, the transfer, then 226 or the reply its
	 * failure calls for. ABOR on the control connection ends it with 426, then 226.
	 */
	async transfer(opening: string, move: (connection: DataConnection) => Promise<unknown>): Promise<void> {
		const connection = await this.data.open();
		this.reply(150, opening);
		this.currentTransfer = {verb: this.activity, since: this.server.now()};
		this.#transferring = true;
		this.#aborted = false;
		try {
			await move(connection);
			this.data.release();
			this.reply(226, "Transfer complete.");
		}
		catch (error) {
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

	async #execute(line: string): Promise<void> {
		const {verb, argument} = parseCommand(line);
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
			return this.#refuse(command, 530, "Please login with USER and PASS.");
		if ((command.argument === "required") && !argument.length)
			return this.#refuse(command, 501, `Syntax: ${command.help}`);
		if ((command.argument === "none") && argument.length)
			return this.#refuse(command, 501, `Syntax: ${command.help}`);
		if (command.writes && !this.writable)
			return this.#refuse(command, 550, "Permission denied.");
		if (verb === "RNTO")
			this.renameFrom = renameFrom;
		this.activity = verb;
		try {
			await command.run(this, argument);
		}
		catch (error) {
			if (command.transfer)
				this.data.release();
			if (error instanceof FtpError)
				this.reply(error.code, error.message);
			else {
				log.error(`${verb}: ${(error as Error).message}`);
				this.reply(451, "Local error in processing.");
			}
		}
		finally {
			this.activity = "idle";
		}
	}

	/**
	 * A transfer command refused before it runs gives the data channel back, as one that
	 * fails while running does: a PASV left behind would hold the one shared channel until
	 * the passive timeout, and every other session would wait for it.
	 */
	#refuse(command: Command, code: number, text: string): void {
		if (command.transfer)
			this.data.release();
		this.reply(code, text);
	}

	#interrupt(line: string | undefined): boolean {
		if (!this.#transferring || (undefined === line))
			return false;
		if (parseCommand(line).verb !== "ABOR")
			return false;
		log.protocol(`${this.remoteAddress} > ABOR`);
		this.#aborted = true;
		this.data.abort();
		return true;
	}

	/**
	 * The login timeout before login, the idle timeout after. The login timeout counts from
	 * the connection (or from the logout of USER/REIN), not from the last command: a client
	 * that sends NOOP and never logs in must not keep one of the few sessions for ever.
	 */
	#arm(): void {
		this.#disarm();
		const o = this.server.options;
		let ms = o.idleTimeout;
		if (this.loggedIn)
			this.#loginDeadline = undefined;
		else {
			this.#loginDeadline ??= Date.now() + o.loginTimeout;
			ms = Math.max(0, this.#loginDeadline - Date.now());
		}
		this.#timer = Timer.set(() => {
			this.#timer = undefined;
			log.info(`${this.remoteAddress}: ${this.loggedIn ? "idle" : "login"} timeout`);
			this.close(421, this.loggedIn ? "Idle timeout, closing control connection." : "Login timeout, closing control connection.");
		}, ms);
	}

	#disarm(): void {
		if (this.#timer) {
			Timer.clear(this.#timer);
			this.#timer = undefined;
		}
	}

	#end(): void {
		this.#disarm();
		this.data.abort();
		this.data.release();
		this.control.close();
		log.info(`${this.remoteAddress} disconnected`);
	}
}
