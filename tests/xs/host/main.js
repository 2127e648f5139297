/*
 * Host probe: the Linux host's own pieces under an app, for tests/host.test.js: its timer
 * (hosts/lin/timer, under the SDK's `timer` module) and the deadlines of its stop (main.c).
 * Prints one line per finding.
 *
 *   semantics      the device timer's behaviour, a check at a time: "ok <name>" or
 *                  "fail <name>: <why>", then "done"
 *   count <N>      sets N timers of 0 to 2 ms, a thousand live at a time, and counts their
 *                  callbacks: "fired <N> of <N>", or "stalled: ..." (exit 1) when some never came
 *   stop <how>     prints "ready", then on SIGINT/SIGTERM prints "signal" and, as an app whose
 *                  stop goes wrong: ignore (never exits), throw (throws), spin (never returns)
 */

import {args, print, exit, onSignal} from "host";
import Timer from "timer";

const wait = ms => new Promise(resolve => { Timer.set(resolve, ms); });

async function until(condition, what) {
	for (let tries = 0; !condition(); tries++) {
		if (tries > 500)
			throw new Error(`never: ${what}`);
		await wait(10);
	}
}

function expect(actual, expected, what) {
	if (actual !== expected)
		throw new Error(`${what}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

const checks = {
	async "a one-shot timer fires once, with the timer as its argument"() {
		let calls = 0, argument;
		const timer = Timer.set(t => { calls++; argument = t; }, 5);
		await until(() => calls, "the callback");
		await wait(50);
		expect(calls, 1, "calls");
		expect(argument, timer, "argument");
	},
	async "a timer cleared before it is due never fires"() {
		let calls = 0;
		const timer = Timer.set(() => calls++, 10);
		Timer.clear(timer);
		const zero = Timer.set(() => calls++, 0);
		Timer.clear(zero);
		await wait(60);
		expect(calls, 0, "calls");
	},
	async "clearing a timer that fired, or twice, does nothing"() {
		const timer = Timer.set(() => {}, 0);
		await wait(20);
		Timer.clear(timer);
		Timer.clear(timer);
	},
	async "a one-shot timer that clears itself in its callback fires once"() {
		let calls = 0;
		const timer = Timer.set(() => { calls++; Timer.clear(timer); }, 0);
		await wait(40);
		expect(calls, 1, "calls");
	},
	async "a repeating timer fires until its callback clears it"() {
		let calls = 0;
		const timer = Timer.repeat(() => {
			if (++calls === 3)
				Timer.clear(timer);
		}, 5);
		await until(() => calls >= 3, "3 calls");
		await wait(60);
		expect(calls, 3, "calls");
	},
	async "a repeating timer cleared from elsewhere stops"() {
		let calls = 0;
		const timer = Timer.repeat(() => calls++, 5);
		await until(() => calls >= 2, "2 calls");
		Timer.clear(timer);
		const seen = calls;
		await wait(60);
		expect(calls, seen, "calls after clear");
	},
	async "a repeating timer unscheduled stays silent until rescheduled"() {
		let calls = 0;
		const timer = Timer.repeat(() => calls++, 5);
		Timer.schedule(timer);
		await wait(60);
		expect(calls, 0, "calls while unscheduled");
		Timer.schedule(timer, 5, 5);
		await until(() => calls >= 2, "2 calls once rescheduled");
		Timer.clear(timer);
	},
	async "a one-shot timer rescheduled before it is due fires once, at the new time"() {
		let calls = 0;
		const timer = Timer.set(() => calls++, 60000);
		Timer.schedule(timer, 5);
		await until(() => calls, "the callback");
		await wait(50);
		expect(calls, 1, "calls");
	},
	async "a one-shot timer unscheduled by its callback stays, and fires again when rescheduled"() {
		let calls = 0;
		const timer = Timer.set(() => {
			if (++calls === 1)
				Timer.schedule(timer);
		}, 0);
		await wait(40);
		expect(calls, 1, "calls before rescheduling");
		Timer.schedule(timer, 5);
		await until(() => calls >= 2, "the second call");
		await wait(40);
		expect(calls, 2, "calls");
	},
	async "a 0 ms timer set in a callback fires after that callback, not inside it"() {
		const order = [];
		Timer.set(() => {
			order.push("a");
			Timer.set(() => order.push("c"), 0);
			order.push("b");
		}, 0);
		await until(() => order.length === 3, "3 steps");
		expect(order.join(""), "abc", "order");
	},
	async "10,000 timers live at once all fire, each once"() {
		const count = 10000;
		const calls = new Uint8Array(count);
		let fired = 0;
		for (let i = 0; i < count; i++)
			Timer.set(() => { calls[i]++; fired++; }, i % 50);
		await until(() => fired >= count, `${count} calls, ${fired} came`);
		await wait(60);
		expect(fired, count, "calls");
		expect(calls.every(n => n === 1), true, "each once");
	},
};

async function semantics() {
	for (const [name, check] of Object.entries(checks)) {
		try {
			await check();
			print(`ok ${name}`);
		}
		catch (e) {
			print(`fail ${name}: ${e.message}`);
		}
	}
	print("done");
	exit(0);
}

function count(total) {
	const batch = 1000;
	let set = 0, fired = 0, seen = -1, quiet = 0;
	const fire = () => {
		if (++fired < set)
			return;
		if (set < total)
			arm();
		else {
			Timer.clear(watch);
			print(`fired ${fired} of ${total}`);
			exit(0);
		}
	};
	function arm() {
		const n = Math.min(batch, total - set);
		set += n;
		for (let i = 0; i < n; i++)
			Timer.set(fire, i % 3);
	}
	// progress, not time: a batch whose last callbacks never come stops the count for good
	const watch = Timer.repeat(() => {
		quiet = (fired === seen) ? quiet + 1 : 0;
		seen = fired;
		if (quiet >= 5) {
			print(`stalled: fired ${fired} of the ${set} set so far`);
			exit(1);
		}
	}, 200);
	arm();
}

function stop(how) {
	onSignal(() => {
		print("signal");
		if (how === "throw")
			throw new Error("the app's stop failed");
		if (how === "spin") {
			for (;;)
				;
		}
	});
	print("ready");
}

const [mode, n] = args();
if (mode === "semantics")
	semantics();
else if (mode === "count")
	count(Number(n));
else if (mode === "stop")
	stop(n);
else {
	print(`unknown mode ${mode}`);
	exit(2);
}
