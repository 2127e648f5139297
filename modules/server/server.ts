/*
 * The server: accepts control connections, keeps the registry of sessions, refuses a
 * connection over the cap with 421 at connect time (GVfs and rclone understand that, a
 * "busy" after login they do not), and stops cleanly.
 */
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import Timer from "timer";
import {ControlConnection} from "../session/control";
import {Session, ServerContext} from "../session/session";
import {DataChannelPool} from "../datachannel/pool";
import {FileService} from "../files/service";
import {preparePaths} from "../files/paths";
import {commands} from "../commands/table";
import {formatReply} from "../protocol/reply";
import type {CommandTable} from "../commands/command";
import type {ServerOptions} from "./options";
import type {SessionSummary, FlashFigures, HeapFigures} from "./figures";
import * as live from "./console";
import {log} from "../log/log";

const timerClock = Object.freeze({
	set: (callback: () => void, ms: number): unknown => Timer.set(callback, ms),
	clear: (id: unknown): void => Timer.clear(id as Timer),
});

let sweptOnce = false;

export class FtpServer implements ServerContext {
	readonly options: ServerOptions;
	readonly files = new FileService();
	readonly pool: DataChannelPool;
	readonly commands: CommandTable = commands;
	readonly sessions = new Set<Session>();
	#listener: Listener | undefined;
	/** checks the sessions' login and idle deadlines while there are sessions */
	#sweeper: Timer | undefined;

	constructor(options: ServerOptions) {
		this.options = options;
		this.pool = new DataChannelPool(options.dataChannels, timerClock, options.dataGrace);
		log.level = options.verbose;
	}

	now(): number {
		return Math.floor(Date.now() / 1000);
	}

	// What SITE asks of the server context: the live console's figures.
	summarizeSessions(): SessionSummary[] {
		return live.summarizeSessions(this);
	}

	flashFigures(): FlashFigures {
		return live.flashFigures(this.files);
	}

	heapFigures(): HeapFigures {
		return live.heapFigures();
	}

	setVerbosity(level: number): number {
		return live.setVerbosity(level);
	}

	get port(): number {
		return this.#listener?.port ?? 0;
	}

	get running(): boolean {
		return !!this.#listener;
	}

	start(): void {
		if (this.#listener)
			return;
		// once per boot, not per server: later starts follow a stop() that aborted every upload
		// cleanly, and another server on the same volume (FTPServer) may be receiving one now
		preparePaths();
		const swept = sweptOnce ? 0 : this.files.sweepTemporaries();
		sweptOnce = true;
		if (swept)
			log.info(`removed ${swept} unfinished upload${(swept > 1) ? "s" : ""} left by an interruption`);
		const self = this;
		this.#listener = new Listener({
			address: this.options.host,
			port: this.options.port,
			onReadable(count: number) {
				while (count--) {
					const socket = this.read();
					if (socket)
						self.#accept(socket);
				}
			},
		});
		log.info(`listening on port ${this.port}`);
	}

	/** Closes every session with 421, then stops listening. */
	stop(reason = "Server shutting down."): void {
		for (const session of this.sessions) {
			// one session that cannot be told must not keep the others from their 421
			try {
				session.close(421, reason);
			}
			catch (error) {
				log.error(`stop: ${session.remoteAddress}: ${(error as Error).message}`);
			}
		}
		this.sessions.clear();
		if (this.#sweeper) {
			Timer.clear(this.#sweeper);
			this.#sweeper = undefined;
		}
		(this.#listener as unknown as {close(): void} | undefined)?.close();
		this.#listener = undefined;
		log.info("stopped");
	}

	#accept(socket: TCP): void {
		if (this.sessions.size >= this.options.maxSessions) {
			log.warn(`refused a connection: ${this.sessions.size} sessions already`);
			refuse(socket, formatReply(421, "Too many connections, try again later."));
			return;
		}
		const control = new ControlConnection(socket);
		const session = new Session(this, control);
		this.sessions.add(session);
		// run() never rejects and leaves the registry itself (ended()): no handler to keep per session
		void session.run();
		if (!this.#sweeper) {
			// a tenth of the shortest timeout, within 50 ms..1 s: a deadline is met to within that
			const o = this.options;
			const interval = Math.min(1000, Math.max(50, Math.min(o.loginTimeout, o.idleTimeout, o.passiveTimeout) / 10));
			this.#sweeper = Timer.repeat(() => this.sweep(), interval);
		}
	}

	ended(session: Session): void {
		this.sessions.delete(session);
		if (!this.sessions.size && this.#sweeper) {
			Timer.clear(this.#sweeper);
			this.#sweeper = undefined;
		}
	}

	private sweep(): void {
		const now = Date.now();
		for (const session of this.sessions)
			session.expire(now);
	}
}

/** Writes one reply and closes: no session, no line reader. */
function refuse(from: TCP, reply: string): void {
	const control = new ControlConnection(from);
	control.write(reply);
	control.close();
}
