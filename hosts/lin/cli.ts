/*
 * The Linux host's command line: flags, each also settable by an FTPD_* environment
 * variable (flags win). Pure, so Node can test it.
 */
import type {ServerOptions, AnonymousAccess} from "ftpd/server/options";

/** This project's version (package.json's: a unit test keeps them equal), for --version. */
export const version = "0.1.0";

export interface HostSettings {
	server: Partial<ServerOptions>;
	/** LittleFS image file, when not serving a folder */
	image?: string;
	imageSize: number;
	/** a real folder served through POSIX instead of an image */
	root?: string;
	help: boolean;
	/** --version: print the version and exit */
	version: boolean;
}

export const usage = `usage: ftpd [options]
  --port N               port to listen on (default 2121)             FTPD_PORT
  --host ADDR            address to listen on (default 127.0.0.1)     FTPD_HOST
  --image FILE           LittleFS image to serve (default ./ftpd.lfs) FTPD_IMAGE
  --image-size BYTES     size of a new image (default 4194304)        FTPD_IMAGE_SIZE
  --root DIR             serve a real folder instead of an image      FTPD_ROOT
  --user NAME            account name (without it: anonymous login)   FTPD_USER
  --password PW          account password                             FTPD_PASSWORD
  --anonymous off|read|write  anonymous access                        FTPD_ANONYMOUS
  --verbose 0|1|2        0 silent, 1 sessions, 2 every command        FTPD_VERBOSE
  --max-sessions N       concurrent sessions (default 8)              FTPD_MAX_SESSIONS
  --passive-ports A-B    passive port range (default: any)            FTPD_PASSIVE_PORTS
  --login-timeout S, --idle-timeout S, --passive-timeout S,
  --data-wait-timeout S, --transfer-timeout S   seconds              FTPD_LOGIN_TIMEOUT...
  --data-grace S         a data channel no transfer uses goes to a    FTPD_DATA_GRACE
                         waiting session after S s (default 3, 0: never)
  --help, --version`;

const FLAGS: Record<string, string> = {
	"--port": "PORT", "--host": "HOST", "--image": "IMAGE", "--image-size": "IMAGE_SIZE", "--root": "ROOT",
	"--user": "USER", "--password": "PASSWORD", "--anonymous": "ANONYMOUS", "--verbose": "VERBOSE",
	"--max-sessions": "MAX_SESSIONS", "--passive-ports": "PASSIVE_PORTS",
	"--login-timeout": "LOGIN_TIMEOUT", "--idle-timeout": "IDLE_TIMEOUT", "--passive-timeout": "PASSIVE_TIMEOUT",
	"--data-wait-timeout": "DATA_WAIT_TIMEOUT", "--data-grace": "DATA_GRACE", "--transfer-timeout": "TRANSFER_TIMEOUT",
};

const TIMEOUTS: Record<string, keyof ServerOptions> = {
	LOGIN_TIMEOUT: "loginTimeout", IDLE_TIMEOUT: "idleTimeout", PASSIVE_TIMEOUT: "passiveTimeout",
	DATA_WAIT_TIMEOUT: "dataWaitTimeout", DATA_GRACE: "dataGrace", TRANSFER_TIMEOUT: "transferTimeout",
};

function integer(name: string, text: string, min: number, max: number): number {
	if (!/^\d+$/.test(text) || (Number(text) < min) || (Number(text) > max))
		throw new Error(`${name} must be an integer from ${min} to ${max}, not "${text}"`);
	return Number(text);
}

function isIPv4(text: string): boolean {
	const parts = text.split(".");
	return (parts.length === 4) && parts.every(p => /^\d{1,3}$/.test(p) && (Number(p) <= 255));
}

/** Settings from `args` and `env`; throws an Error with a one-line message when they are bad. */
export function parseCommandLine(args: string[], env: (name: string) => string | undefined): HostSettings {
	const values: Record<string, string> = {};
	for (const key of Object.values(FLAGS)) {
		const value = env("FTPD_" + key);
		if (undefined !== value)
			values[key] = value;
	}
	let help = false, showVersion = false;
	for (let i = 0; i < args.length; i++) {
		let arg = args[i];
		if ((arg === "--help") || (arg === "-h")) {
			help = true;
			continue;
		}
		if ((arg === "--version") || (arg === "-V")) {
			showVersion = true;
			continue;
		}
		let value: string | undefined;
		const equals = arg.indexOf("=");
		if (arg.startsWith("--") && (equals > 0)) {
			value = arg.slice(equals + 1);
			arg = arg.slice(0, equals);
		}
		const key = FLAGS[arg];
		if (!key)
			throw new Error(`unknown option ${arg}`);
		value ??= args[++i];
		if (undefined === value)
			throw new Error(`${arg} needs a value`);
		values[key] = value;
	}

	const server: Partial<ServerOptions> = {
		host: values.HOST ?? "127.0.0.1",
		port: integer("--port", values.PORT ?? "2121", 0, 65535),
		maxSessions: integer("--max-sessions", values.MAX_SESSIONS ?? "8", 1, 1000),
	};
	if (!isIPv4(server.host!))
		throw new Error(`--host must be an IPv4 address, not "${server.host}"`);
	if (undefined !== values.VERBOSE)
		server.verbose = integer("--verbose", values.VERBOSE, 0, 2);
	if ((undefined !== values.USER) !== (undefined !== values.PASSWORD))
		throw new Error("--user and --password go together");
	if (undefined !== values.USER) {
		server.user = values.USER;
		server.password = values.PASSWORD;
	}
	if (undefined !== values.ANONYMOUS) {
		if (!["off", "read", "write"].includes(values.ANONYMOUS))
			throw new Error(`--anonymous must be off, read or write, not "${values.ANONYMOUS}"`);
		server.anonymous = values.ANONYMOUS as AnonymousAccess;
	}
	if (undefined !== values.PASSIVE_PORTS) {
		const m = /^(\d+)-(\d+)$/.exec(values.PASSIVE_PORTS) ?? /^(\d+)()$/.exec(values.PASSIVE_PORTS);
		if (!m)
			throw new Error(`--passive-ports must be a port or a range A-B, not "${values.PASSIVE_PORTS}"`);
		server.passivePortMin = integer("--passive-ports", m[1], 1024, 65535);
		server.passivePortMax = m[2] ? integer("--passive-ports", m[2], server.passivePortMin, 65535) : server.passivePortMin;
	}
	for (const [key, option] of Object.entries(TIMEOUTS)) {
		const text = values[key];
		if (undefined === text)
			continue;
		if (!/^\d+(\.\d+)?$/.test(text))
			throw new Error(`--${key.toLowerCase().replaceAll("_", "-")} must be a number of seconds, not "${text}"`);
		(server as Record<string, number>)[option] = Math.round(Number(text) * 1000);
	}
	if ((undefined !== values.ROOT) && (undefined !== values.IMAGE))
		throw new Error("--root and --image cannot be used together");
	const imageSize = integer("--image-size", values.IMAGE_SIZE ?? String(4 * 1024 * 1024), 65536, 2 ** 31);
	if (imageSize % 4096)
		throw new Error("--image-size must be a multiple of 4096");
	return {
		server,
		root: values.ROOT,
		image: (undefined === values.ROOT) ? (values.IMAGE ?? "./ftpd.lfs") : undefined,
		imageSize,
		help,
		version: showVersion,
	};
}

/**
 * Why the volume did not mount, for a person, from the volume's error code (volume.d.ts).
 * @param code the Error's message, e.g. "EBUSY"
 */
export function describeMountError(code: string, settings: HostSettings): string {
	const image = undefined === settings.root;
	switch (code) {
		case "EBUSY": return "image is in use by another ftpd (locked)";
		case "EFTYPE": return "not a LittleFS image (will not format an existing file)";
		case "EACCES": return "permission denied";
		case "ENOENT": return image ? "its folder does not exist" : "no such folder";
		case "ENOTDIR": return image ? "a component of its path is not a folder" : "not a folder";
		case "EINVAL": return image ? "not a regular file" : "not a folder";
		case "EISDIR": return "is a folder (to serve a folder, use --root)";
		case "ENOSPC": return "no space left to create the image";
		case "ENOMEM": return "out of memory";
		default: return code;
	}
}

/** Why the server could not listen, for a person, from the listener's error message. */
export function describeListenError(message: string, settings: HostSettings): string {
	const {host, port} = settings.server;
	if (/Address already in use/i.test(message))
		return `port ${port} is in use by another program (choose another with --port, or --port 0 for any free port)`;
	if (/Permission denied/i.test(message))
		return `port ${port} needs privileges (ports below 1024 do): choose another with --port`;
	if (/Cannot assign requested address/i.test(message))
		return `${host} is not an address of this machine (--host)`;
	return message;
}
