/*
 * The Linux host's entry: settings from the command line, the volume (a LittleFS image or a
 * folder), the server, and a clean stop on SIGTERM/SIGINT (sessions get 421, the image is
 * unmounted, exit 0).
 */
import {args, getenv, print, error, exit, onSignal, debuggerConnected} from "host";
import Timer from "timer";
import * as volume from "volume";
import {parseCommandLine, usage, HostSettings} from "ftpd/host/cli";
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
	// stdout carries only the ready line; the log goes to stderr, or to xsbug when one is
	// connected (debug builds), where its console can change the verbosity
	if (!debuggerConnected())
		log.write = error;
	try {
		if (settings.root)
			volume.mountRoot(settings.root);
		else
			volume.mountImage(settings.image!, settings.imageSize);
	}
	catch (e) {
		error(`ftpd: cannot mount ${settings.root ?? settings.image}: ${(e as Error).message}`);
		return exit(1);
	}
	// the public module, so xsbug's global `ftpd` is the one apps use
	let server: FTPServer;
	try {
		const {passivePortMin: first, passivePortMax: last, ...options} = settings.server;
		server = ftpd.start(first ? {...options, passivePorts: [first, last ?? first]} : options);
	}
	catch (e) {
		error(`ftpd: cannot listen on ${settings.server.host}:${settings.server.port}: ${(e as Error).message}`);
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
	if (server.generatedPassword)
		print(`ftpd: no account configured and ${server.host} is not loopback: log in as ${server.user} with password ${server.generatedPassword}`);
	print(`ftpd: listening on ftp://${settings.server.host}:${server.port}/`);
}
