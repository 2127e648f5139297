/*
 * The standalone firmware's network on a board ("standalone/network" on esp32 and esp): its own
 * access point (soft-AP, `ap=name apPassword=...`), Wi-Fi joined and re-joined with growing
 * pauses (a board must come back by itself after the router restarts), or both (AP+STA); the
 * clock from SNTP (LIST and MDTM times need it), and an mDNS announcement of `_ftp._tcp`, so
 * the board shows up by name. The server listens on every interface; PASV answers with the
 * address of the interface that routes to the client.
 */
import config from "mc/config";
import WiFi from "wifi";
import Net from "net";
import SNTP from "sntp";
import Time from "time";
import MDNS from "mdns";
import Timer from "timer";


/** Pauses between attempts to join, in ms; the last one repeats. */
const RETRY_PAUSES = Object.freeze([1000, 2000, 5000, 10000, 30000]);

/**
 * Makes the board an access point named `ssid` (WPA2 with a password of 8 characters or more,
 * open without one); `station`: keeps the station interface too (AP+STA), to join a network as
 * well. Returns the access point's own address (192.168.4.1 unless the SDK was told otherwise).
 */
export function accessPoint(ssid: string, password: string, station: boolean): string {
	if (password && (password.length < 8))
		throw new RangeError("apPassword: WPA2 needs 8 characters or more");
	const options = {ssid, password: password || undefined, station} as unknown as Parameters<typeof WiFi.accessPoint>[0];
	WiFi.accessPoint(options);
	// the SDK's Net.get takes the interface ("ap") as a second argument; its typings lag behind
	return (Net.get as unknown as (what: string, mode: string) => string)("IP", "ap");
}

/**
 * Joins `ssid` and keeps joined; calls `onAddress` with the IP address each time one is
 * obtained (again after a loss).
 */
export function joinWiFi(ssid: string, password: string, onAddress: (address: string) => void): void {
	let failures = 0;
	let retry: Timer | undefined;
	const connect = () => {
		retry = undefined;
		WiFi.connect(password ? {ssid, password} : {ssid});
	};
	new WiFi(password ? {ssid, password} : {ssid}, message => {
		if (message === WiFi.gotIP) {
			failures = 0;
			onAddress(Net.get("IP") as string);
		}
		else if (message === WiFi.disconnected) {
			const pause = RETRY_PAUSES[Math.min(failures, RETRY_PAUSES.length - 1)];
			failures++;
			trace(`<warn>ftpd: Wi-Fi "${ssid}": not connected (attempt ${failures}), retrying in ${pause / 1000} s\n`);
			if (failures === 3)
				trace(`<error>ftpd: Wi-Fi "${ssid}" keeps failing: check ssid=... and password=... on the mcconfig command line\n`);
			if (!retry)
				retry = Timer.set(connect, pause);
		}
	});
}

/** Sets the clock from `host`, then calls `done`; without a clock, times are reported unknown. */
export function setClock(host: string, done: () => void): void {
	if (!host)
		return done();
	new SNTP({host}, (message, value) => {
		if (message === SNTP.time) {
			Time.set(value!);
			trace(`<info>ftpd: clock set from ${host}\n`);
		}
		else if (message === SNTP.error)
			trace(`<warn>ftpd: no time from ${host}: file times will be unknown until it answers\n`);
		else
			return;
		done();
	});
}

/** Announces the FTP service as `hostName`.local. */
export function announce(hostName: string, port: number): MDNS {
	const mdns = new MDNS({hostName}, (message, value) => {
		// 1: the name was claimed (possibly with a suffix when already taken)
		if ((message === 1) && value)
			trace(`<info>ftpd: mDNS: ${value}.local\n`);
	});
	mdns.add({name: "ftp", protocol: "tcp", port, txt: {path: "/"}});
	return mdns;
}

type Setting = string | number | undefined;

/**
 * The network as mc/config says (ssid/password: join; ap/apPassword: be an access point; both:
 * AP+STA), the clock, mDNS for `port`; `onAddress` with each address the board gets.
 */
export function startNetwork(port: number, onAddress: (address: string) => void): void {
	const c = config as unknown as Record<string, Setting>;
	let announced = false;
	const ready = (address: string): void => {
		if (!announced && c.hostName) {
			announce(String(c.hostName), port);
			announced = true;
		}
		onAddress(address);
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
