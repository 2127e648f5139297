/*
 * The standalone firmware: an FTP server for the board's flash and nothing else, on the public
 * API. The flash is mounted and the server started at once (so it works without a network);
 * then the network (standalone/network: Wi-Fi with retries, or the board's own access point, or
 * both), the clock by SNTP, mDNS, and the URL traced each time the board gets an address.
 *
 * Settings come from mc/config (this manifest's "config", the ftpd include's ftp* settings),
 * overridable on the mcconfig command line:
 *   ssid=... password=...          join a Wi-Fi network
 *   ap=name [apPassword=...]       be an access point (with ssid too: AP+STA)
 *   ftpUser=... ftpPassword=...    the account (without one, ftpd generates a password: see the trace)
 *   ftpPort, ftpAnonymous, ftpMaxSessions, ftpPassivePorts, ftpVerbose, sntp, hostName
 */
import config from "mc/config";
import ftpd, {FTPServer} from "ftpd";
import {accessPoint, joinWiFi, setClock, announce} from "standalone/network";

type Setting = string | number | undefined;

export default function main(): void {
	const c = config as unknown as Record<string, Setting>;
	let server: FTPServer;
	try {
		server = ftpd.start();
	}
	catch (e) {
		trace(`<error>ftpd: cannot start: ${(e as Error).message}\n`);
		return;
	}
	let announced = false;
	const ready = (address: string): void => {
		if (!announced && c.hostName) {
			announce(String(c.hostName), server.port);
			announced = true;
		}
		trace(`<info>ftpd: ${server.url(address)}\n`);
	};
	const ssid = String(c.ssid ?? ""), ap = String(c.ap ?? "");
	if (!ssid && !ap) {
		trace("<error>ftpd: no network: build with ssid=... password=... (join Wi-Fi) or ap=name (be an access point)\n");
		return;
	}
	if (ap) {
		try {
			ready(accessPoint(ap, String(c.apPassword ?? ""), !!ssid));
		}
		catch (e) {
			trace(`<error>ftpd: access point "${ap}": ${(e as Error).message}\n`);
		}
	}
	if (ssid)
		joinWiFi(ssid, String(c.password ?? ""), address => setClock(String(c.sntp ?? ""), () => ready(address)));
}
