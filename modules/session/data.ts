/*
 * A session's data channel: a ticket from the shared pool, then a passive listener
 * (PASV/EPSV) or an active target (PORT/EPRT), then the one connection a transfer uses.
 *
 * After each transfer the channel is parked (done()): kept for the session's next transfer,
 * given up at once to any other session that asks. It is released when the session ends, and
 * when a passive listener waits too long for its client. While another session waits for it,
 * the pool takes it back from a session that has not started a transfer on it within its
 * grace (revoked()): what was prepared is closed, and the next transfer command gets 425.
 *
 * Nothing here is an async function: each would stay suspended, at about 42 slots, for as
 * long as the command waits. The pool's wait returns a promise, or nothing when the channel
 * is granted at once; a transfer's connection comes at once, or later through its owner's
 * opened().
 */
import {DataConnection, DataListener, localAddressFor} from "ftpsock";
import type {ListenerOptions} from "ftpsock";
import type {DataChannelPool, Holder, Ticket} from "../datachannel/pool";
import type {HostPort} from "../protocol/address";
import {FtpError} from "../files/service";
import {log} from "../log/log";

/** What the data channel needs of its session: the server's settings and pool (shared, not copied per session), the client's address and the session's label for the log. */
export interface DataOwner {
	readonly server: {readonly pool: DataChannelPool; readonly options: DataSettings};
	readonly remoteAddress: string;
	/** "#3 127.0.0.1" */
	readonly label: string;
	/**
	 * The connection a transfer waited for (open() returned none): the client connected to the
	 * passive listener, or the PORT connection was made; or, without one, why not (425, 426).
	 */
	opened(connection: DataConnection | undefined, error?: FtpError): void;
}

/** The server's settings the data channel follows (ServerOptions has them). */
export interface DataSettings {
	/** the address the server listens on ("0.0.0.0" for any) */
	readonly host: string;
	/** 0 for any */
	readonly passivePortMin: number;
	readonly passivePortMax: number;
	readonly dataWaitTimeout: number;
	readonly passiveTimeout: number;
}

type PassiveOptions = ListenerOptions & {target: SessionData};

export class SessionData implements Holder {
	// the session, not its pool, settings and address: one field instead of three per session
	#owner: DataOwner;
	#ticket: Ticket | undefined;
	#listener: DataListener | undefined;
	#accepted: DataConnection | undefined;
	/** a transfer waits for the client to connect to the passive listener (the owner's opened()) */
	#waiting = false;
	#active: HostPort | undefined;
	/** ms since the epoch when an unused passive listener is released; undefined when none waits */
	#passiveDeadline: number | undefined;
	#connection: DataConnection | undefined;
	/** the pool took the channel back before a transfer used it: said in the next 425 */
	#revoked = false;

	constructor(owner: DataOwner) {
		this.#owner = owner;
	}

	/** Bytes moved so far by the transfer under way (or the last one, until the channel is released). */
	get bytes(): number {
		return this.#connection?.bytes ?? 0;
	}

	/** Whether PASV, EPSV, PORT or EPRT prepared a connection. */
	get prepared(): boolean {
		return !!(this.#listener || this.#accepted || this.#active);
	}

	/**
	 * Asks for the shared channel unless the session holds it: undefined when it is granted
	 * at once, else a promise that settles once it is, or rejects with 425 after the wait bound.
	 */
	acquire(): Promise<void> | undefined {
		// held already: the channel kept after the last transfer (parked) if nobody took it since
		if (this.#ticket?.resume())
			return;
		this.#revoked = false;
		const ticket = this.#owner.server.pool.request(this.#owner.server.options.dataWaitTimeout, this);
		this.#ticket = ticket;
		if (ticket.granted)
			return;
		return ticket.ready.then(granted => {
			if (!granted) {
				if (this.#ticket === ticket)
					this.#ticket = undefined;
				throw new FtpError(425, "Data channel busy, try again later.");
			}
		});
	}

	/**
	 * Listens, once acquire() has granted the channel; returns the port to announce (and
	 * passiveAddress() the address, for PASV). No port to listen on (every one of the range taken: EADDRINUSE; no descriptor left: EMFILE)
	 * is 425, as for any data connection that cannot be made: the client may try again, where a
	 * 451 says the server failed.
	 */
	passive(): number {
		// dropEndpoints()'s own check inline: a PASV usually finds nothing prepared
		if (this.#listener || this.#accepted || this.#active || this.#waiting)
			this.dropEndpoints();
		const settings = this.#owner.server.options;
		let listener: DataListener;
		try {
			listener = this.listen(settings);
		}
		catch (error) {
			throw new FtpError(425, `Can't open passive connection (${(error as Error).message}).`);
		}
		this.#listener = listener;
		// met by the server's sweep (expire()): no timer set and cleared per PASV
		this.#passiveDeadline = Date.now() + settings.passiveTimeout;
		return listener.port;
	}

	/** The address PASV announces: the server's, or when it listens on all, the one the client reached. */
	passiveAddress(control: {readonly localAddress: string | undefined}): string {
		const host = this.#owner.server.options.host;
		if (host !== "0.0.0.0")
			return host;
		return control.localAddress ?? localAddressFor(this.#owner.remoteAddress);
	}

	private listen(settings: DataSettings): DataListener {
		// any port (port 0) unless a range is set
		const options: PassiveOptions = {
			address: settings.host,
			peer: this.#owner.remoteAddress,
			target: this,
			onConnect: SessionData.accepted,
			onError: SessionData.listenerFailed,
		};
		if (settings.passivePortMin) {
			options.portMin = settings.passivePortMin;
			options.portMax = settings.passivePortMax;
		}
		return new DataListener(options);
	}

	// the listener's callbacks, called with its options as `this`: no closures per PASV
	private static accepted(this: PassiveOptions, connection: DataConnection): void {
		const data = this.target;
		data.#listener = undefined;
		data.#passiveDeadline = undefined;
		if (data.#waiting) {
			data.#waiting = false;
			data.#ticket?.engage();
			data.#owner.opened(data.#connection = connection);
		}
		else
			data.#accepted = connection;
	}

	private static listenerFailed(this: PassiveOptions, code: string): void {
		log.warn(`${this.target.#owner.label}: passive listener: ${code}`);
	}

	/** Remembers where to connect for the next transfer, once acquire() has granted the channel. */
	active(target: HostPort): void {
		this.dropEndpoints();
		this.#active = target;
	}

	/**
	 * The connection for a transfer, from then on kept for it (engaged): the client's
	 * connection to the passive listener when it is there already (clients connect right after
	 * the 227), else undefined, and the owner's opened() gets it once the client connects
	 * (waited for until the passive timeout, or until the channel is taken back for a waiting
	 * session) or once the PORT/EPRT target is connected to. Throws the 425 of a transfer with
	 * nothing prepared.
	 */
	open(): DataConnection | undefined {
		const accepted = this.#accepted;
		if (accepted) {
			this.#accepted = undefined;
			this.#ticket?.engage();
			return this.#connection = accepted;
		}
		if (this.#listener) {
			this.#waiting = true;
			return;
		}
		const target = this.#active;
		if (!target)
			throw this.unavailable("Use PORT or PASV first.");
		this.#active = undefined;
		this.#ticket?.engage();
		DataConnection.connect({
			address: target.address,
			port: target.port,
			onConnect: connection => this.#owner.opened(this.#connection = connection),
			onError: (code: string) => this.#owner.opened(undefined, new FtpError(425, `Can't open data connection (${code}).`)),
		});
	}

	/** A transfer command waits for the client to connect to the passive listener. */
	get accepting(): boolean {
		return this.#waiting;
	}

	/** Ends that wait (ABOR): the transfer command fails with 426. */
	stopAccepting(): void {
		if (!this.#waiting)
			return;
		this.#waiting = false;
		this.#owner.opened(undefined, new FtpError(426, "Transfer aborted."));
	}

	/** Ends the current transfer at once (ABOR, session end); false when nothing was under way to end. */
	abort(): boolean {
		return this.#connection?.abort() ?? false;
	}

	/** Holder: the pool took the channel back (idle while another session waited). */
	revoked(): void {
		log.info(`${this.#owner.label}: data channel unused, given to a waiting session`);
		this.#ticket = undefined;
		this.#revoked = true;
		this.release();
	}

	/** Releases a passive listener nobody connected to within the passive timeout (`now`: ms since the epoch). */
	expire(now: number): void {
		if ((undefined === this.#passiveDeadline) || (now < this.#passiveDeadline))
			return;
		log.info(`${this.#owner.label}: passive listener unused, released`);
		this.release();
	}

	/**
	 * After a transfer: closes its connection and what was prepared, and keeps the channel for
	 * the session's next transfer until another session asks for it (the pool's park()).
	 */
	done(): void {
		// dropEndpoints()'s own check inline, as in passive(): nothing prepared is left after a
		// transfer (nor its passive timeout)
		if (this.#listener || this.#accepted || this.#active || this.#waiting)
			this.dropEndpoints();
		if (this.#connection) {
			this.#connection.close();
			this.#connection = undefined;
		}
		this.#ticket?.park();
	}

	/** Closes everything and gives the channel back to the pool. */
	release(): void {
		this.done();
		this.#ticket?.release();
		this.#ticket = undefined;
	}

	/** The 425 of a transfer with no data connection to use; says once why, after revoked(). */
	private unavailable(text: string): FtpError {
		const revoked = this.#revoked;
		this.#revoked = false;
		return new FtpError(425, revoked ? "Data channel given to a waiting session; send PASV or PORT again." : text);
	}

	private dropEndpoints(): void {
		// the passive timeout belongs to the listener: left armed after PORT, it would end the active transfer
		this.#passiveDeadline = undefined;
		this.#listener?.close();
		this.#listener = undefined;
		this.#accepted?.close();
		this.#accepted = undefined;
		this.#active = undefined;
		// last: the owner's failed transfer releases the channel again, from here
		if (this.#waiting) {
			this.#waiting = false;
			this.#owner.opened(undefined, this.unavailable("Can't open data connection."));
		}
	}
}
