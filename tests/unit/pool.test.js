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
