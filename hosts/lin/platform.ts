/*
 * The public module's Linux side ("ftpd/platform" on x-cli-lin): the settings and the volume from
 * the environment where the options leave them (the FTPD_* variables of the command line: mcconfig
 * writes no mc/config for x-cli-lin), and a password
 * for the secure default made from the kernel's random bytes, kept for the process only: the
 * host prints it on its ready output (hosts/lin/start.ts), a board traces its own.
 */
import {getenv, randomBytes} from "host";
import * as volume from "volume";
import {makePassword} from "ftpd/server/password";

const IMAGE_SIZE = 4 * 1024 * 1024;

let generated: string | undefined;

/** FTPD_* variable → mcconfig setting; the defaults are the command line's. */
const VARIABLES: Record<string, string> = {
	ftpPort: "FTPD_PORT", ftpHost: "FTPD_HOST", ftpUser: "FTPD_USER", ftpPassword: "FTPD_PASSWORD",
	ftpAnonymous: "FTPD_ANONYMOUS", ftpMaxSessions: "FTPD_MAX_SESSIONS", ftpPassivePorts: "FTPD_PASSIVE_PORTS",
	ftpVerbose: "FTPD_VERBOSE",
};

export function settings(): Record<string, string | number | undefined> {
	const result: Record<string, string | number | undefined> = {ftpPort: 2121, ftpHost: "127.0.0.1", ftpMaxSessions: 8};
	for (const [name, variable] of Object.entries(VARIABLES)) {
		const value = getenv(variable);
		if (undefined !== value)
			result[name] = value;
	}
	return result;
}

export function mount(options: {image?: string; imageSize?: number; root?: string}): void {
	if (undefined !== volume.mounted())
		return;
	const root = options.root ?? getenv("FTPD_ROOT");
	if (root)
		return volume.mountRoot(root);
	const size = options.imageSize ?? (Number(getenv("FTPD_IMAGE_SIZE")) || IMAGE_SIZE);
	volume.mountImage(options.image ?? getenv("FTPD_IMAGE") ?? "./ftpd.lfs", size);
}

export function password(): string {
	if (!generated) {
		const bytes = new Uint8Array(randomBytes(128));
		let i = 0;
		generated = makePassword(() => bytes[i++ % bytes.length]);
	}
	return generated;
}
