/*
 * The public options (module "ftpd") made into the server's: each option, else the mcconfig
 * setting of the same meaning, else the default; and the secure default. Pure, so Node tests it.
 */
import {makeOptions, ServerOptions, AnonymousAccess} from "./options";

export interface FTPServerOptions {
	port?: number;
	host?: string;
	user?: string;
	password?: string;
	anonymous?: AnonymousAccess;
	verbose?: number;
	maxSessions?: number;
	passivePorts?: string | number | [number, number];
	loginTimeout?: number;
	idleTimeout?: number;
	passiveTimeout?: number;
	dataWaitTimeout?: number;
	dataGrace?: number;
	transferTimeout?: number;
	image?: string;
	imageSize?: number;
	root?: string;
}

type Setting = string | number | undefined;
export type Settings = Record<string, Setting>;

/** The user name of the generated account. */
export const GENERATED_USER = "ftp";

const TIMEOUTS = ["loginTimeout", "idleTimeout", "passiveTimeout", "dataWaitTimeout", "dataGrace", "transferTimeout"] as const;

/** A whole number within min..max, from an option or a (string) mcconfig setting; fallback when unset. */
function integer(name: string, value: unknown, min: number, max: number, fallback: number): number {
	if ((undefined === value) || ("" === value))
		return fallback;
	const n = Number(value);
	if (!Number.isInteger(n) || (n < min) || (n > max))
		throw new RangeError(`ftpd: ${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
	return n;
}

function passiveRange(value: unknown): [number, number] | undefined {
	if ((undefined === value) || ("" === value) || (0 === value))
		return undefined;
	let range: unknown[];
	if (Array.isArray(value))
		range = value;
	else if ("number" === typeof value)
		range = [value, value];
	else {
		const text = String(value);
		const dash = text.indexOf("-");
		range = (dash < 0) ? [text, text] : [text.slice(0, dash), text.slice(dash + 1)];
	}
	const min = integer("passivePorts", range[0], 1024, 65535, 0);
	return [min, integer("passivePorts", range[1], min, 65535, min)];
}

function isLoopback(host: string): boolean {
	return host.startsWith("127.");
}

/**
 * Options, then the platform's settings (mc/config on devices, FTPD_* on Linux), then the
 * built-in defaults; throws a RangeError on a bad value. `password`: the platform's generated
 * password, asked for only when the secure default needs it.
 */
export function resolveOptions(options: FTPServerOptions, settings: Settings, password: () => string): {options: ServerOptions; generated: boolean} {
	const o = options;
	const server: Partial<ServerOptions> = {
		host: String(o.host ?? (settings.ftpHost || "0.0.0.0")),
		port: integer("port", o.port ?? settings.ftpPort, 0, 65535, 21),
		maxSessions: integer("maxSessions", o.maxSessions ?? settings.ftpMaxSessions, 1, 1000, 4),
		verbose: integer("verbose", o.verbose ?? settings.ftpVerbose, 0, 2, 1),
	};
	const user = o.user ?? (settings.ftpUser ? String(settings.ftpUser) : undefined);
	if (user) {
		server.user = user;
		server.password = String(o.password ?? settings.ftpPassword ?? "");
	}
	const anonymous = o.anonymous ?? (settings.ftpAnonymous ? String(settings.ftpAnonymous) : undefined);
	if (undefined !== anonymous) {
		if (("off" !== anonymous) && ("read" !== anonymous) && ("write" !== anonymous))
			throw new RangeError(`ftpd: anonymous must be "off", "read" or "write", not ${JSON.stringify(anonymous)}`);
		server.anonymous = anonymous;
	}
	const range = passiveRange(o.passivePorts ?? settings.ftpPassivePorts);
	if (range)
		[server.passivePortMin, server.passivePortMax] = range;
	for (const name of TIMEOUTS) {
		if (undefined !== o[name])
			server[name] = integer(name, o[name], 0, 0x7FFFFFFF, 0);
	}
	let generated = false;
	if (!user && (undefined === anonymous) && !isLoopback(server.host!)) {
		server.user = GENERATED_USER;
		server.password = password();
		server.anonymous = "off";
		generated = true;
	}
	return {options: makeOptions(server), generated};
}
