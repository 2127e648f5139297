/*
 * The devices' entry (ESP32, ESP8266). The SDK's setup/network module has joined Wi-Fi and
 * set the clock by SNTP before this runs; here the flash is mounted, the server started and
 * its URL traced. Settings come from the manifest's `config`, overridable on the mcconfig
 * command line (`ftpUser=admin ftpPassword=secret`), where every value is a string.
 */
import config from "mc/config";
import Net from "net";
import * as volume from "volume";
import {FtpServer} from "ftpd/server/server";
import {makeOptions, ServerOptions, AnonymousAccess} from "ftpd/server/options";
import {installConsole} from "ftpd/server/console";
import {log} from "ftpd/log/log";

type Setting = string | number | undefined;

function number(value: Setting, fallback: number): number {
	const n = Number(value);
	return ((value === undefined) || (value === "") || !Number.isFinite(n)) ? fallback : n;
}

function deviceOptions(c: Record<string, Setting>): Partial<ServerOptions> {
	const settings: Partial<ServerOptions> = {
		host: "0.0.0.0",
		port: number(c.ftpPort, 21),
		maxSessions: number(c.ftpMaxSessions, 2),
		verbose: number(c.ftpVerbose, 1),
	};
	if (c.ftpUser) {
		settings.user = String(c.ftpUser);
		settings.password = String(c.ftpPassword ?? "");
	}
	if (c.ftpAnonymous)
		settings.anonymous = String(c.ftpAnonymous) as AnonymousAccess;
	const range = /^(\d+)(?:-(\d+))?$/.exec(String(c.ftpPassivePorts ?? ""));
	if (range) {
		settings.passivePortMin = Number(range[1]);
		settings.passivePortMax = Number(range[2] ?? range[1]);
	}
	return settings;
}

export default function main(): void {
	const c = config as unknown as Record<string, Setting>;
	try {
		volume.mountPartition();
	}
	catch (e) {
		trace(`<error>ftpd: cannot mount the storage partition: ${(e as Error).message}\n`);
		return;
	}
	const options = makeOptions(deviceOptions(c));
	const server = new FtpServer(options);
	server.start();
	installConsole(server);
	const ip = Net.get("IP") as string | undefined;
	if (!ip)
		log.warn("no IP address: is Wi-Fi configured (ssid=... password=...)?");
	const port = (server.port === 21) ? "" : `:${server.port}`;
	trace(`<info>ftpd: ftp://${ip ?? "0.0.0.0"}${port}/\n`);
}
