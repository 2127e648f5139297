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
import ftpd, {FTPServer} from "ftpd";
import {startNetwork} from "standalone/network";

export default function main(): void {
	let server: FTPServer;
	try {
		server = ftpd.start();
	}
	catch (e) {
		trace(`<error>ftpd: cannot start: ${(e as Error).message}\n`);
		return;
	}
	startNetwork(server.port, address => trace(`<info>ftpd: ${server.url(address)}\n`));
}
