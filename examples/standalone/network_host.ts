/*
 * The standalone firmware's network on the Linux host ("standalone/network" on x-cli-lin): the
 * PC's network is up already and its clock set, and mcconfig writes no mc/config for x-cli-lin,
 * so there is nothing to join or read: the address is the one the server listens on.
 */

export function startNetwork(port: number, onAddress: (address: string) => void): void {
	onAddress("127.0.0.1");
}
