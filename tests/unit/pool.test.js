import {expect} from "chai";
import {pool as P} from "./load.js";

/** A clock the test advances by hand. */
function manualClock() {
	let now = 0, id = 0;
	const timers = new Map();
	return {
		set(callback, ms) { timers.set(++id, {at: now + ms, callback}); return id; },
		clear(t) { timers.delete(t); },
		advance(ms) {
			now += ms;
			for (const [t, timer] of [...timers].sort((a, b) => a[1].at - b[1].at))
				if (timer.at <= now) { timers.delete(t); timer.callback(); }
		},
		get pending() { return timers.size; },
	};
}

describe("DataChannelPool", () => {
	it("grants at once when free, then queues in FIFO order", async () => {
		const clock = manualClock();
		const pool = new P.DataChannelPool(1, clock);
		const a = pool.request(1000), b = pool.request(1000), c = pool.request(1000);
		expect(await a.ready).to.equal(true);
		const order = [];
		b.ready.then(v => order.push(["b", v]));
		c.ready.then(v => order.push(["c", v]));
		expect(pool.waiting).to.equal(2);
		a.release();
		await Promise.resolve();
		expect(order).to.deep.equal([["b", true]]);
		b.release();
		await Promise.resolve();
		expect(order).to.deep.equal([["b", true], ["c", true]]);
		c.release();
		expect(pool.inUse).to.equal(0);
		expect(clock.pending).to.equal(0);
	});
	it("fails a wait longer than the bound, and the queue moves on", async () => {
		const clock = manualClock();
		const pool = new P.DataChannelPool(1, clock);
		const a = pool.request(1000), b = pool.request(500), c = pool.request(2000);
		clock.advance(600);
		expect(await b.ready).to.equal(false);
		a.release();
		expect(await c.ready).to.equal(true);
		expect(pool.waiting).to.equal(0);
	});
	it("lets a waiting ticket leave the queue, and release twice is harmless", async () => {
		const clock = manualClock();
		const pool = new P.DataChannelPool(1, clock);
		const a = pool.request(1000), b = pool.request(1000);
		b.release();
		expect(await b.ready).to.equal(false);
		a.release();
		a.release();
		expect(pool.inUse).to.equal(0);
		const c = pool.request(1000);
		expect(await c.ready).to.equal(true);
	});
	it("never grants more than its capacity", async () => {
		const clock = manualClock();
		const pool = new P.DataChannelPool(2, clock);
		const t = [0, 1, 2, 3].map(() => pool.request(1000));
		await Promise.resolve();
		expect(t.map(x => x.granted)).to.deep.equal([true, true, false, false]);
		t[1].release();
		await Promise.resolve();
		expect(t.map(x => x.granted)).to.deep.equal([true, true, true, false]);
	});
});

describe("DataChannelPool: an idle holder loses the channel to a waiting session after the grace", () => {
	/** A holder that records when it is told. */
	function holder(name, log) {
		return {revoked() { log.push(name); }};
	}

	it("takes it back from an idle holder once it has been idle for the grace while someone waited", async () => {
		const clock = manualClock();
		const pool = new P.DataChannelPool(1, clock, 3000);
		const log = [];
		const a = pool.request(30000, holder("a", log));
		expect(a.granted).to.equal(true);
		// alone, it keeps the channel however long it idles: no grace runs
		clock.advance(60000);
		expect(clock.pending).to.equal(0);
		expect(a.released).to.equal(false);
		const b = pool.request(30000, holder("b", log));
		clock.advance(2999);
		expect(log).to.deep.equal([]);
		expect(b.granted).to.equal(false);
		clock.advance(1);
		expect(log).to.deep.equal(["a"]);
		expect(a.released).to.equal(true);
		expect(await b.ready).to.equal(true);
		expect(pool.inUse).to.equal(1);
		// the old holder's release is harmless: b keeps it
		a.release();
		expect(pool.inUse).to.equal(1);
		expect(b.released).to.equal(false);
		b.release();
		expect(pool.inUse).to.equal(0);
		expect(clock.pending).to.equal(0);
	});

	it("never takes it back from a holder that has started a transfer (engaged)", async () => {
		const clock = manualClock();
		const pool = new P.DataChannelPool(1, clock, 3000);
		const log = [];
		const a = pool.request(30000, holder("a", log));
		const b = pool.request(10000, holder("b", log));
		clock.advance(1000);
		a.engage();
		clock.advance(5000);
		expect(log).to.deep.equal([]);
		expect(b.granted).to.equal(false);
		a.release();
		expect(await b.ready).to.equal(true);
		b.engage();
		const c = pool.request(10000, holder("c", log));
		clock.advance(10000);
		// c waited its whole bound behind a transfer: it gives up, b is untouched
		expect(await c.ready).to.equal(false);
		expect(log).to.deep.equal([]);
		expect(b.released).to.equal(false);
		b.release();
		expect(clock.pending).to.equal(0);
	});

	it("counts the grace from when someone waits, and stops it when nobody does any more", async () => {
		const clock = manualClock();
		const pool = new P.DataChannelPool(1, clock, 3000);
		const log = [];
		const a = pool.request(30000, holder("a", log));
		const b = pool.request(1000, holder("b", log));
		clock.advance(1000);
		// b gave up after 1 s: a, idle, keeps the channel, and no grace runs any more
		expect(await b.ready).to.equal(false);
		expect(clock.pending).to.equal(0);
		clock.advance(10000);
		expect(log).to.deep.equal([]);
		// a new waiter: a whole grace again, not what was left of the first
		const c = pool.request(30000, holder("c", log));
		clock.advance(2500);
		expect(log).to.deep.equal([]);
		c.release();
		expect(clock.pending).to.equal(0);
		const d = pool.request(30000, holder("d", log));
		clock.advance(3000);
		expect(log).to.deep.equal(["a"]);
		expect(await d.ready).to.equal(true);
		d.release();
		expect(clock.pending).to.equal(0);
	});

	it("more waiters do not restart the grace", () => {
		const clock = manualClock();
		const pool = new P.DataChannelPool(1, clock, 3000);
		const log = [];
		pool.request(30000, holder("a", log));
		pool.request(30000, holder("b", log));
		clock.advance(2000);
		pool.request(30000, holder("c", log));
		clock.advance(1000);
		expect(log).to.deep.equal(["a"]);
	});

	it("silent holders one after another: each loses it after one grace, and the session behind them is served", async () => {
		const clock = manualClock();
		const pool = new P.DataChannelPool(1, clock, 3000);
		const log = [];
		const hogs = Array.from({length: 20}, (_, i) => pool.request(120000, holder(`hog${i}`, log)));
		const served = pool.request(120000, holder("served", log));
		let waited = 0;
		while (!served.granted) {
			clock.advance(100);
			waited += 100;
			await Promise.resolve();
		}
		expect(log).to.deep.equal(hogs.map((_, i) => `hog${i}`));
		expect(hogs.every(h => h.released)).to.equal(true);
		expect(waited).to.equal(20 * 3000);
		// nobody waits behind it: it keeps the channel
		clock.advance(60000);
		expect(served.released).to.equal(false);
		served.release();
		expect(pool.inUse).to.equal(0);
		expect(clock.pending).to.equal(0);
	});

	it("with a grace of 0 never takes it back", async () => {
		const clock = manualClock();
		const pool = new P.DataChannelPool(1, clock, 0);
		const log = [];
		const a = pool.request(30000, holder("a", log));
		const b = pool.request(5000, holder("b", log));
		clock.advance(5000);
		expect(await b.ready).to.equal(false);
		expect(log).to.deep.equal([]);
		expect(a.released).to.equal(false);
		a.release();
		expect(clock.pending).to.equal(0);
	});

	it("with two channels, takes back only from an idle holder, and never grants more than its capacity", async () => {
		const clock = manualClock();
		const pool = new P.DataChannelPool(2, clock, 3000);
		const log = [];
		const a = pool.request(30000, holder("a", log));
		const b = pool.request(30000, holder("b", log));
		a.engage();
		const c = pool.request(30000, holder("c", log));
		clock.advance(3000);
		expect(log).to.deep.equal(["b"]);
		expect(await c.ready).to.equal(true);
		expect(pool.inUse).to.equal(2);
		expect(a.released).to.equal(false);
		a.release();
		c.release();
		expect(pool.inUse).to.equal(0);
		expect(clock.pending).to.equal(0);
	});
});

describe("DataChannelPool: a holder parks its channel between transfers", () => {
	const holder = (name, log) => ({revoked() { log.push(name); }});

	it("a parked channel is the holder's again at its next transfer, with no new ticket", () => {
		const clock = manualClock();
		const pool = new P.DataChannelPool(1, clock, 3000);
		const a = pool.request(1000);
		a.engage();
		a.park();
		expect(a.parked).to.equal(true);
		expect(a.engaged).to.equal(false);
		expect(pool.inUse).to.equal(1);
		expect(a.resume()).to.equal(true);
		expect(a.parked).to.equal(false);
		expect(a.released).to.equal(false);
		a.release();
		expect(pool.inUse).to.equal(0);
		expect(clock.pending).to.equal(0);
	});

	it("anyone who asks gets a parked channel at once, without a grace and without telling its holder", async () => {
		const clock = manualClock();
		const log = [];
		const pool = new P.DataChannelPool(1, clock, 3000);
		const a = pool.request(1000, holder("a", log));
		a.park();
		const b = pool.request(1000, holder("b", log));
		expect(b.granted).to.equal(true);
		expect(await b.ready).to.equal(true);
		expect(a.released).to.equal(true);
		expect(a.resume()).to.equal(false);
		expect(log).to.deep.equal([]);
		expect(pool.inUse).to.equal(1);
		expect(pool.waiting).to.equal(0);
		b.release();
		a.release();
		expect(pool.inUse).to.equal(0);
		expect(clock.pending).to.equal(0);
	});

	it("a holder that parks while someone waits gives the channel up at once", async () => {
		const clock = manualClock();
		const pool = new P.DataChannelPool(1, clock, 3000);
		const a = pool.request(1000);
		a.engage();
		const b = pool.request(1000);
		expect(b.granted).to.equal(false);
		a.park();
		expect(a.released).to.equal(true);
		expect(await b.ready).to.equal(true);
		expect(a.resume()).to.equal(false);
		b.release();
		expect(pool.inUse).to.equal(0);
		expect(clock.pending).to.equal(0);
	});

	it("with two channels, a request takes a free one before a parked one", () => {
		const clock = manualClock();
		const pool = new P.DataChannelPool(2, clock);
		const a = pool.request(1000);
		a.park();
		const b = pool.request(1000);
		expect(b.granted).to.equal(true);
		expect(a.released).to.equal(false);
		expect(a.resume()).to.equal(true);
		const c = pool.request(1000);
		expect(c.granted).to.equal(false);
		a.release();
		expect(c.granted).to.equal(true);
		b.release();
		c.release();
		expect(pool.inUse).to.equal(0);
		expect(clock.pending).to.equal(0);
	});
});
