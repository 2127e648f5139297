/*
 * The standalone firmware's network on the Linux host ("standalone/network" on x-cli-lin): the
 * PC's network is already up, so there is nothing to join. ap=... and ssid=... have no meaning
 * here: main() sees the loopback address as the one it got.
 */

export function accessPoint(ssid: string, password: string, station: boolean): string {
	return "127.0.0.1";
}

export function joinWiFi(ssid: string, password: string, onAddress: (address: string) => void): void {
	onAddress("127.0.0.1");
}

export function setClock(host: string, done: () => void): void {
	done();
}

export function announce(hostName: string, port: number): void {
}
