/*
 * Server settings and their defaults. Hosts fill them from their configuration source
 * (the manifest's `config` on devices, flags and environment on Linux).
 */

export type AnonymousAccess = "off" | "read" | "write";

export interface ServerOptions {
	/** address to listen on */
	host: string;
	port: number;
	/** the account; without it, anonymous access decides who logs in */
	user?: string;
	password?: string;
	anonymous: AnonymousAccess;
	maxSessions: number;
	/** 0 silent, 1 sessions, transfers and errors, 2 every command and reply */
	verbose: number;
	/** passive ports: 0 for any, or a range */
	passivePortMin: number;
	passivePortMax: number;
	/** data channels at once, shared by all sessions */
	dataChannels: number;
	/** ms */
	loginTimeout: number;
	idleTimeout: number;
	/** longest wait for the shared data channel */
	dataWaitTimeout: number;
	/** a session that holds the data channel without a transfer loses it after this while another waits; 0: never */
	dataGrace: number;
	/** a passive listener nobody connects to is released after this */
	passiveTimeout: number;
	/** a transfer with no progress for this long fails */
	transferTimeout: number;
	/** delay before answering a wrong password */
	failedLoginDelay: number;
	maxLoginFailures: number;
}

export const defaults: ServerOptions = Object.freeze({
	host: "0.0.0.0",
	port: 21,
	anonymous: "off",
	maxSessions: 4,
	verbose: 1,
	passivePortMin: 0,
	passivePortMax: 0,
	dataChannels: 1,
	loginTimeout: 30_000,
	idleTimeout: 300_000,
	dataWaitTimeout: 30_000,
	dataGrace: 3_000,
	passiveTimeout: 15_000,
	transferTimeout: 60_000,
	failedLoginDelay: 1_000,
	maxLoginFailures: 3,
});

/** Defaults, then `settings`; without an account, anonymous users may write unless told otherwise. */
export function makeOptions(settings: Partial<ServerOptions>): ServerOptions {
	const options = {...defaults, ...settings};
	if (!options.user && (undefined === settings.anonymous))
		options.anonymous = "write";
	return options;
}
