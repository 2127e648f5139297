/*
 * The devices' entry (ESP32, ESP8266): the flash is mounted and the server started at once
 * (so the user's app can use the files without a network); Wi-Fi is joined and re-joined, the
 * clock set by SNTP, the service announced by mDNS, and the URL traced each time the board
 * gets an address. Settings come from the manifest's `config`, overridable on the mcconfig
 * command line (`ftpUser=admin ftpPassword=secret`), where every value is a string.
 */
import config from "mc/config";
import * as volume from "volume";
import {FtpServer} from "ftpd/server/server";
import {makeOptions, ServerOptions, AnonymousAccess} from "ftpd/server/options";
import {installConsole} from "ftpd/server/console";
import {log} from "ftpd/log/log";
import {joinWiFi, setClock, announce} from "ftpd/device/network";

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
	const server = new FtpServer(makeOptions(deviceOptions(c)));
	server.start();
	installConsole(server);
	const ssid = String(c.ssid ?? "");
	if (!ssid) {
		log.error("no Wi-Fi network: build with ssid=... password=...");
		return;
	}
	let announced = false;
	joinWiFi(ssid, String(c.password ?? ""), address => {
		setClock(String(c.sntp ?? ""), () => {
			if (!announced && c.hostName) {
				announce(String(c.hostName), server.port);
				announced = true;
			}
			const port = (server.port === 21) ? "" : `:${server.port}`;
			trace(`<info>ftpd: ftp://${address}${port}/\n`);
		});
	});
}
