/*
 * The Linux host's entry: settings from the command line, the volume (a LittleFS image or a
 * folder), the server, and a clean stop on SIGTERM/SIGINT (sessions get 421, the image is
 * unmounted, exit 0).
 */
import {args, getenv, print, error, exit, onSignal, debuggerConnected, exists, remove} from "host";
import Timer from "timer";
import * as volume from "volume";
import {parseCommandLine, usage, version, describeMountError, describeListenError, HostSettings} from "ftpd/host/cli";
import ftpd, {FTPServer} from "ftpd";
import {log} from "ftpd/log/log";

export default function main(): void {
	let settings: HostSettings;
	try {
		settings = parseCommandLine(args(), getenv);
	}
	catch (e) {
		error(`ftpd: ${(e as Error).message}`);
		error(usage);
		return exit(2);
	}
	if (settings.help) {
		print(usage);
		return exit(0);
	}
	if (settings.version) {
		print(`ftpd ${version}`);
		return exit(0);
	}
	// stdout carries only the ready line; the log goes to stderr, or to xsbug when one is
	// connected (debug builds), where its console can change the verbosity; on a terminal
	// lines carry a level word instead of xsbug's tags
	if (!debuggerConnected()) {
		log.write = error;
		log.tags = false;
	}
	// a start that fails removes the image it created
	const created = (undefined === settings.root) && !exists(settings.image!);
	try {
		if (settings.root)
			volume.mountRoot(settings.root);
		else
			volume.mountImage(settings.image!, settings.imageSize);
	}
	catch (e) {
		error(`ftpd: error: cannot mount ${settings.root ?? settings.image}: ${describeMountError((e as Error).message, settings)}`);
		return exit(1);
	}
	// on a terminal the ready line below is the one line that says where the server listens:
	// the server's own "listening on port" line (for xsbug and the devices) is left out there
	const terminal = log.write === error;
	if (terminal)
		log.write = line => / listening on port \d+$/.test(line) ? undefined : error(line);
	// the public module, so xsbug's global `ftpd` is the one apps use
	let server: FTPServer;
	try {
		const {passivePortMin: first, passivePortMax: last, ...options} = settings.server;
		server = ftpd.start(first ? {...options, passivePorts: [first, last ?? first]} : options);
		if (terminal)
			log.write = error;
	}
	catch (e) {
		if (terminal)
			log.write = error;
		volume.unmount();
		if (created) {
			try {
				remove(settings.image!);
			}
			catch (removal) {
				error(`ftpd: error: cannot remove the new image ${settings.image}: ${(removal as Error).message}`);
			}
		}
		error(`ftpd: error: cannot listen on ${settings.server.host}:${settings.server.port}: ${describeListenError((e as Error).message, settings)}`);
		return exit(1);
	}
	let stopping = false;
	onSignal(() => {
		if (stopping)
			return;
		stopping = true;
		try {
			ftpd.stop();
		}
		catch (e) {
			// the sessions not yet told still get closed by the exit; a stop must end the process
			log.error(`stop: ${(e as Error).message}`);
		}
		// let the 421 replies reach the clients before the process ends (the host exits with
		// status 1 if this has not happened within a second)
		Timer.set(() => {
			volume.unmount();
			exit(0);
		}, 100);
	});
	// not on loopback, without an account: the secure default's generated password (api.ts)
	// one ready line; not on loopback without an account, it carries the secure default's
	// generated password (api.ts)
	const ready = `ftpd: listening on ftp://${settings.server.host}:${server.port}/`;
	if (server.generatedPassword)
		print(`${ready} (no account configured and ${server.host} is not loopback: log in as ${server.user} with password ${server.generatedPassword})`);
	else
		print(ready);
}
