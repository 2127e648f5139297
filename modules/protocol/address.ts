/*
 * Host-port arguments and replies: PORT/PASV (RFC 959) and EPRT/EPSV (RFC 2428), IPv4.
 */
import {isDigits} from "./digits";

export interface HostPort {
	address: string;
	port: number;
}

function octet(text: string): number | undefined {
	if (!isDigits(text, 1, 3))
		return undefined;
	const value = Number(text);
	return (value <= 255) ? value : undefined;
}

/** "h1,h2,h3,h4,p1,p2" → address and port; undefined when malformed. */
export function parsePort(argument: string): HostPort | undefined {
	const parts = argument.trim().split(",");
	if (parts.length !== 6)
		return undefined;
	const values: number[] = [];
	for (const part of parts) {
		const value = octet(part.trim());
		if (undefined === value)
			return undefined;
		values.push(value);
	}
	return {address: values.slice(0, 4).join("."), port: (values[4] << 8) | values[5]};
}

/** "|1|a.b.c.d|port|" (any delimiter) → address and port; "protocol" when the family is not IPv4. */
export function parseEprt(argument: string): HostPort | "protocol" | undefined {
	const text = argument.trim();
	if (text.length < 7)
		return undefined;
	const fields = text.slice(1).split(text[0]);
	if ((fields.length !== 4) || (fields[3] !== ""))
		return undefined;
	if (fields[0] !== "1")
		return (fields[0] === "2") ? "protocol" : undefined;
	const octets = fields[1].split(".");
	if ((octets.length !== 4) || octets.some(o => undefined === octet(o)))
		return undefined;
	if (!isDigits(fields[2], 1, 5))
		return undefined;
	const port = Number(fields[2]);
	if ((port < 1) || (port > 65535))
		return undefined;
	return {address: octets.map(Number).join("."), port};
}

/** The 227 reply text. */
export function formatPasv(address: string, port: number): string {
	return `Entering Passive Mode (${address.replaceAll(".", ",")},${port >> 8},${port & 255}).`;
}

/** The 229 reply text. */
export function formatEpsv(port: number): string {
	return `Entering Extended Passive Mode (|||${port}|)`;
}
