/*
 * The data-channel pool: at most `capacity` data channels exist at once (one on the
 * devices: each costs a listener or connection and its buffers). Sessions ask for a channel
 * with a ticket; tickets are granted in FIFO order, and a wait longer than the bound fails,
 * so no session waits forever behind another.
 *
 * A holder that moves no bytes (a passive listener nobody connected to, a connection with no
 * transfer command, a PORT never used) does not keep a waiting session out for long: once it
 * has been idle for `grace` ms while someone waited, its ticket is taken back and granted to
 * the next one, and its holder is told (it closes what it prepared; its next transfer command
 * gets 425). A holder that has started a transfer (engaged) keeps the channel until it
 * releases it: the transfer's own timeout bounds a stalled one. With nobody waiting an idle
 * holder is left alone (the session's passive timeout applies).
 *
 * A holder whose transfer is over may park its ticket instead of releasing it: it keeps the
 * channel, with nothing prepared on it, for its next transfer (a file manager's session moves
 * one file or listing after another), and gives it up at once, without a grace, to anyone who
 * asks. On XS a ticket made, granted and released per transfer cost about a tenth of a
 * short download's instructions.
 *
 * Pure logic: the timer functions are given, so Node can test it.
 */

export interface Clock {
	set(callback: () => void, ms: number): unknown;
	clear(id: unknown): void;
}

/** Who holds a ticket: told when its idle channel is taken back for a waiting session. */
export interface Holder {
	revoked(): void;
}

// A ticket is made per PASV or PORT: its fields are declared, not initialized in the class body,
// which TypeScript would emit as a field definition each, run by XS as a function of their own at
// each construction; the ones only a waiting ticket needs are left undefined until then.
export class Ticket {
	declare granted: boolean;
	declare released: boolean;
	/** a transfer has started on the channel: it is not taken back */
	declare engaged: boolean;
	/** its holder's transfer is over: the channel goes to the next one who asks (park()) */
	declare parked: boolean;
	declare readonly holder: Holder | undefined;
	/** @internal the wait bound while queued; the grace while held idle with someone waiting */
	declare timer: unknown;
	declare private pool: DataChannelPool;
	declare private resolve: ((granted: boolean) => void) | undefined;
	declare private promise: Promise<boolean> | undefined;

	constructor(pool: DataChannelPool, holder: Holder | undefined, granted: boolean) {
		this.granted = granted;
		this.released = false;
		this.engaged = false;
		this.parked = false;
		this.holder = holder;
		this.pool = pool;
	}

	/**
	 * true once granted, false when the wait timed out or was cancelled. Made when first
	 * asked for: a ticket granted at once (the usual case) never needs one.
	 */
	get ready(): Promise<boolean> {
		if (!this.promise)
			// settled already: granted, or released (cancelled or timed out)
			this.promise = (this.granted || this.released) ? Promise.resolve(this.granted) : new Promise(resolve => { this.resolve = resolve; });
		return this.promise;
	}

	/** Gives the channel back, or leaves the queue. Safe to call more than once. */
	release(): void {
		if (this.released)
			return;
		this.released = true;
		this.pool.release(this);
	}

	/**
	 * The holder's transfer is over and nothing is prepared on the channel: it keeps it for its
	 * next transfer (resume()) until anyone else asks for a channel, who gets this one at once
	 * (the ticket is released then). Released now if someone waits already.
	 */
	park(): void {
		if (this.released)
			return;
		if (this.pool.waiting)
			return this.release();
		this.parked = true;
		this.engaged = false;
	}

	/** The holder prepares a transfer: true when it still holds the channel (parked or not), kept as granted and idle. */
	resume(): boolean {
		if (!this.granted || this.released)
			return false;
		this.parked = false;
		return true;
	}

	/** A transfer starts on the granted channel: from now on it is kept until release(). */
	engage(): void {
		if (this.engaged || !this.granted || this.released)
			return;
		this.engaged = true;
		// an idle holder's grace is armed only while someone waits
		if (undefined !== this.timer)
			this.pool.engaged(this);
	}

	/** @internal */
	settle(granted: boolean, clock: Clock): void {
		this.disarm(clock);
		this.granted = granted;
		const resolve = this.resolve;
		this.resolve = undefined;
		resolve?.(granted);
	}

	/** @internal */
	arm(clock: Clock, ms: number, expire: () => void): void {
		this.timer = clock.set(expire, ms);
	}

	/** @internal */
	get armed(): boolean {
		return undefined !== this.timer;
	}

	/** @internal */
	disarm(clock: Clock): void {
		if (undefined !== this.timer) {
			clock.clear(this.timer);
			this.timer = undefined;
		}
	}
}

export class DataChannelPool {
	readonly capacity: number;
	/** ms an idle holder keeps the channel while someone waits; 0: for ever */
	readonly grace: number;
	#clock: Clock;
	#holders = new Set<Ticket>();
	#queue: Ticket[] = [];

	constructor(capacity: number, clock: Clock, grace = 0) {
		this.capacity = capacity;
		this.#clock = clock;
		this.grace = grace;
	}

	get inUse(): number {
		return this.#holders.size;
	}

	get waiting(): number {
		return this.#queue.length;
	}

	/**
	 * A ticket for a channel: granted at once when one is free and nobody waits, else queued
	 * for at most `waitMs`. `holder` is told if the channel is taken back while it is idle.
	 */
	request(waitMs: number, holder?: Holder): Ticket {
		if (((this.#holders.size < this.capacity) || this.#reclaim()) && !this.#queue.length) {
			// a new ticket has no timer to disarm and nobody waiting on it: settle() is not needed
			const granted = new Ticket(this, holder, true);
			this.#holders.add(granted);
			return granted;
		}
		const ticket = new Ticket(this, holder, false);
		this.#queue.push(ticket);
		ticket.arm(this.#clock, waitMs, () => {
			const index = this.#queue.indexOf(ticket);
			if (index >= 0)
				this.#queue.splice(index, 1);
			ticket.released = true;
			ticket.settle(false, this.#clock);
			this.#waitersChanged();
		});
		this.#waitersChanged();
		return ticket;
	}

	/** @internal use Ticket.release() */
	release(ticket: Ticket): void {
		if (this.#holders.delete(ticket)) {
			ticket.disarm(this.#clock);
			// nobody waits: nothing to grant, and no idle holder's grace is armed (every change
			// of the queue disarmed them once it was empty)
			if (this.#queue.length)
				this.#grantNext();
			return;
		}
		const index = this.#queue.indexOf(ticket);
		if (index >= 0) {
			this.#queue.splice(index, 1);
			ticket.settle(false, this.#clock);
			this.#waitersChanged();
		}
	}

	/** @internal use Ticket.engage() */
	engaged(ticket: Ticket): void {
		ticket.disarm(this.#clock);
	}

	/** Frees the channel of a parked holder: true when there was one. */
	#reclaim(): boolean {
		for (const holder of this.#holders) {
			if (holder.parked) {
				this.#holders.delete(holder);
				holder.released = true;
				holder.parked = false;
				holder.disarm(this.#clock);
				return true;
			}
		}
		return false;
	}

	#grantNext(): void {
		while ((this.#holders.size < this.capacity) && this.#queue.length) {
			const next = this.#queue.shift()!;
			this.#holders.add(next);
			next.settle(true, this.#clock);
		}
		this.#waitersChanged();
	}

	/**
	 * Someone started or stopped waiting: an idle holder's grace runs while someone waits
	 * (armed once, not restarted by more waiters), and stops when nobody does any more.
	 */
	#waitersChanged(): void {
		if (!this.grace)
			return;
		const waiting = this.#queue.length > 0;
		for (const holder of this.#holders) {
			if (holder.engaged)
				continue;
			if (!waiting)
				holder.disarm(this.#clock);
			else if (!holder.armed)
				holder.arm(this.#clock, this.grace, () => this.#takeBack(holder));
		}
	}

	/** An idle holder's grace is over while someone waits: its channel goes to the next one. */
	#takeBack(ticket: Ticket): void {
		ticket.disarm(this.#clock);
		if (ticket.engaged || !this.#queue.length || !this.#holders.delete(ticket))
			return;
		ticket.released = true;
		// first, so that what it prepared (a listener's port) is free for the next holder
		ticket.holder?.revoked();
		this.#grantNext();
	}
}
