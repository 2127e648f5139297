/*
 * The probe's checks: one line per check, then "N passed, M failed".
 */
import {print} from "host";

let passed = 0;
let failed = 0;

/** Runs `test`; a throw or a `false` result is a failure, reported with its reason. */
export function check(name: string, test: () => boolean | void): void {
	let problem: string | undefined;
	try {
		if (false === test())
			problem = "returned false";
	}
	catch (error) {
		problem = String(error);
	}
	if (undefined === problem) {
		passed++;
		print(`ok ${passed + failed} - ${name}`);
	}
	else {
		failed++;
		print(`not ok ${passed + failed} - ${name}: ${problem}`);
	}
}

/** Returns true when `action` throws an Error whose message is `code`; throws otherwise. */
export function throwsCode(code: string, action: () => unknown): boolean {
	try {
		action();
	}
	catch (error) {
		const message = (error as Error).message;
		if (message === code)
			return true;
		throw new Error(`threw ${message}, expected ${code}`);
	}
	throw new Error(`did not throw, expected ${code}`);
}

export function equal(actual: unknown, expected: unknown, what = "value"): void {
	if (actual !== expected)
		throw new Error(`${what}: ${String(actual)}, expected ${String(expected)}`);
}

/** Prints the summary line; returns the exit code. */
export function summary(): number {
	print(`${passed} passed, ${failed} failed`);
	return failed ? 1 : 0;
}
