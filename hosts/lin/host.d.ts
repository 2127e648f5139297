declare module "host" {
	/** Command-line arguments after the program name. */
	export function args(): string[];
	export function getenv(name: string): string | undefined;
	/** One line to stdout, flushed. */
	export function print(line: string): void;
	/** One line to stderr, flushed. */
	export function error(line: string): void;
	/** Leaves the main loop; the process exits with `code`. */
	export function exit(code?: number): void;
	/**
	 * Called on the first SIGINT or SIGTERM; the app is to exit soon after. Should it not have
	 * within 1 s (or be stuck), or on a second signal, the host exits with status 1.
	 */
	export function onSignal(callback: (name: "SIGINT" | "SIGTERM") => void): void;
	/** Debug builds: whether xsbug is connected (trace() then goes to it). */
	export function debuggerConnected(): boolean;
	/** Whether a file (or anything) is at `path`. */
	export function exists(path: string): boolean;
	/** Removes the file at `path`; throws with the system's reason when it cannot. */
	export function remove(path: string): void;
	/** `count` bytes from the kernel's random source (getrandom). */
	export function randomBytes(count: number): ArrayBuffer;
}
