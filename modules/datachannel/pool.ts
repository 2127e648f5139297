/*
 * The data-channel pool: at most `capacity` data channels exist at once (one on the
 * devices: each costs a listener or connection and its buffers). Sessions ask for a channel
 * with a ticket; tickets are granted in FIFO order, and a wait longer than the bound fails,
 * so no session waits forever behind another.
 *
 * Pure logic: the timer functions are given, so Node can test it.
 */

export interface Clock {
	set(callback: () => void, ms: number): unknown;
	clear(id: unknown): void;
}

export class Ticket {
	#pool: DataChannelPool;
	#resolve: ((granted: boolean) => void) | undefined;
	#ready: Promise<boolean> | undefined;
	#timer: unknown;
	granted = false;
	released = false;

	constructor(pool: DataChannelPool) {
		this.#pool = pool;
	}

	/**
	 * true once granted, false when the wait timed out or was cancelled. Made when first
	 * asked for: a ticket granted at once (the usual case) never needs one.
	 */
	get ready(): Promise<boolean> {
		if (!this.#ready)
			// settled already: granted, or released (cancelled or timed out)
			this.#ready = (this.granted || this.released) ? Promise.resolve(this.granted) : new Promise(resolve => { this.#resolve = resolve; });
		return this.#ready;
	}

	/** Gives the channel back, or leaves the queue. Safe to call more than once. */
	release(): void {
		if (this.released)
			return;
		this.released = true;
		this.#pool.release(this);
	}

	/** @internal */
	settle(granted: boolean, clock: Clock): void {
		if (undefined !== this.#timer) {
			clock.clear(this.#timer);
			this.#timer = undefined;
		}
		this.granted = granted;
		const resolve = this.#resolve;
		this.#resolve = undefined;
		resolve?.(granted);
	}

	/** @internal */
	arm(clock: Clock, ms: number, expire: () => void): void {
		this.#timer = clock.set(expire, ms);
	}
}

export class DataChannelPool {
	readonly capacity: number;
	#clock: Clock;
	#holders = new Set<Ticket>();
	#queue: Ticket[] = [];

	constructor(capacity: number, clock: Clock) {
		this.capacity = capacity;
		this.#clock = clock;
	}

	get inUse(): number {
		return this.#holders.size;
	}

	get waiting(): number {
		return this.#queue.length;
	}

	/** A ticket for a channel: granted at once when one is free and nobody waits, else queued for at most `waitMs`. */
	request(waitMs: number): Ticket {
		const ticket = new Ticket(this);
		if ((this.#holders.size < this.capacity) && !this.#queue.length) {
			this.#holders.add(ticket);
			ticket.settle(true, this.#clock);
		}
		else {
			this.#queue.push(ticket);
			ticket.arm(this.#clock, waitMs, () => {
				const index = this.#queue.indexOf(ticket);
				if (index >= 0)
					this.#queue.splice(index, 1);
				ticket.released = true;
				ticket.settle(false, this.#clock);
			});
		}
		return ticket;
	}

	/** @internal use Ticket.release() */
	release(ticket: Ticket): void {
		if (this.#holders.delete(ticket)) {
			this.#grantNext();
			return;
		}
		const index = this.#queue.indexOf(ticket);
		if (index >= 0) {
			this.#queue.splice(index, 1);
			ticket.settle(false, this.#clock);
		}
	}

	#grantNext(): void {
		while ((this.#holders.size < this.capacity) && this.#queue.length) {
			const next = this.#queue.shift()!;
			this.#holders.add(next);
			next.settle(true, this.#clock);
		}
	}
}
