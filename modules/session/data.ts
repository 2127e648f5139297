/*
 * A session's data channel: a ticket from the shared pool, then a passive listener
 * (PASV/EPSV) or an active target (PORT/EPRT), then the one connection a transfer uses.
 *
 * The channel is released after each transfer, when the session ends, and when a passive
 * listener waits too long for its client, so an idle session never holds it.
 */
import Timer from "timer";
import {DataConnection, DataListener, localAddressFor} from "ftpsock";
import type {DataChannelPool, Ticket} from "../datachannel/pool";
import type {HostPort} from "../protocol/address";
import {FtpError} from "../files/service";
import {log} from "../log/log";

export interface DataSettings {
	pool: DataChannelPool;
	/** the address the server listens on ("0.0.0.0" for any) */
	host: string;
	portMin: number;
	portMax: number;
	waitTimeout: number;
	passiveTimeout: number;
}

export class SessionData {
	#settings: DataSettings;
	#peer: string;
	#ticket: Ticket | undefined;
	#listener: DataListener | undefined;
	#accepted: DataConnection | undefined;
	#acceptWaiter: ((connection: DataConnection | undefined) => void) | undefined;
	#active: HostPort | undefined;
	#timer: Timer | undefined;
	#connection: DataConnection | undefined;

	constructor(settings: DataSettings, peer: string) {
		this.#settings = settings;
		this.#peer = peer;
	}

	/** Whether PASV, EPSV, PORT or EPRT prepared a connection. */
	get prepared(): boolean {
		return !!(this.#listener || this.#accepted || this.#active);
	}

	/** Waits for the shared channel, then listens; returns the address and port to announce. */
	async passive(localAddress: string | undefined): Promise<{address: string; port: number}> {
		await this.#acquire();
		this.#dropEndpoints();
		const listener = new DataListener({
			address: this.#settings.host,
			port: this.#settings.portMin ? undefined : 0,
			portMin: this.#settings.portMin || undefined,
			portMax: this.#settings.portMax || undefined,
			peer: this.#peer,
			onConnect: (connection: DataConnection) => {
				this.#listener = undefined;
				this.#clearTimer();
				if (this.#acceptWaiter) {
					const waiter = this.#acceptWaiter;
					this.#acceptWaiter = undefined;
					waiter(connection);
				}
				else
					this.#accepted = connection;
			},
			onError: (code: string) => log.warn(`passive listener: ${code}`),
		});
		this.#listener = listener;
		this.#clearTimer();
		this.#timer = Timer.set(() => {
			this.#timer = undefined;
			log.info(`${this.#peer}: passive listener unused, released`);
			this.release();
		}, this.#settings.passiveTimeout);
		const host = this.#settings.host;
		const address = ((host !== "0.0.0.0") ? host : undefined) ?? localAddress ?? localAddressFor(this.#peer);
		return {address, port: listener.port};
	}

	/** Waits for the shared channel, then remembers where to connect for the next transfer. */
	async active(target: HostPort): Promise<void> {
		await this.#acquire();
		this.#dropEndpoints();
		this.#active = target;
	}

	/**
	 * The connection for a transfer: the client's connection to the passive listener (waited
	 * for until the passive timeout), or a new connection to the PORT/EPRT target.
	 */
	async open(): Promise<DataConnection> {
		if (this.#accepted) {
			this.#connection = this.#accepted;
			this.#accepted = undefined;
		}
		else if (this.#listener) {
			const connection = await new Promise<DataConnection | undefined>(resolve => { this.#acceptWaiter = resolve; });
			if (!connection)
				throw new FtpError(425, "Can't open data connection.");
			this.#connection = connection;
		}
		else if (this.#active) {
			const target = this.#active;
			this.#active = undefined;
			this.#connection = await new Promise<DataConnection>((resolve, reject) => {
				DataConnection.connect({
					address: target.address,
					port: target.port,
					onConnect: resolve,
					onError: (code: string) => reject(new FtpError(425, `Can't open data connection (${code}).`)),
				});
			});
		}
		else
			throw new FtpError(425, "Use PORT or PASV first.");
		return this.#connection;
	}

	/** Ends the current transfer at once (ABOR, session end). */
	abort(): void {
		this.#connection?.abort();
	}

	/** Closes everything and gives the channel back to the pool. */
	release(): void {
		this.#clearTimer();
		this.#dropEndpoints();
		if (this.#connection) {
			this.#connection.close();
			this.#connection = undefined;
		}
		this.#ticket?.release();
		this.#ticket = undefined;
	}

	async #acquire(): Promise<void> {
		if (this.#ticket?.granted && !this.#ticket.released)
			return;
		const ticket = this.#settings.pool.request(this.#settings.waitTimeout);
		this.#ticket = ticket;
		if (!await ticket.ready) {
			this.#ticket = undefined;
			throw new FtpError(425, "Data channel busy, try again later.");
		}
	}

	#dropEndpoints(): void {
		this.#listener?.close();
		this.#listener = undefined;
		this.#accepted?.close();
		this.#accepted = undefined;
		this.#active = undefined;
		if (this.#acceptWaiter) {
			const waiter = this.#acceptWaiter;
			this.#acceptWaiter = undefined;
			waiter(undefined);
		}
	}

	#clearTimer(): void {
		if (this.#timer) {
			Timer.clear(this.#timer);
			this.#timer = undefined;
		}
	}
}
