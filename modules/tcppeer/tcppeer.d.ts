/*
 * tcppeer: whether the peer of an ECMA-419 TCP socket is still there, asked of the TCP stack
 * (the kernel on the Linux host, the lwIP record on devices) rather than of the events queued
 * for JS, which may not have been delivered yet.
 */
declare module "tcppeer" {
	import type TCP from "embedded:io/socket/tcp";

	/**
	 * false when the stack already knows the peer has closed (FIN, even a half-close), reset
	 * or failed the connection: no callback follows. Else true, and `callback` is called from
	 * the event loop once the peer has had a grace (derived from the connection's round-trip
	 * time where the stack knows it) for its FIN or RST to arrive, with whether it still has not.
	 * On the Linux host, a client on the same machine whose process is sleeping is answered
	 * at once, before confirm returns. `how` (Linux host only) says how the answer was
	 * reached, for the log: "peer process sleeping", "grace", "grace, peer process running"...
	 * `elapsed`: µs of that grace that have passed already, since the data connection's FIN
	 * (DataConnection's sinceEnd; -1 or none: timed from now).
	 */
	export function confirm(socket: TCP, callback: (open: boolean, how?: string) => void, elapsed?: number): boolean;

	/**
	 * Called as an upload starts: on the Linux host, finds the process of a client on the same
	 * machine now, once per connection, while it is alive (a client killed in its first upload
	 * has no sockets left to be found by at its commit). Nothing on devices.
	 */
	export function prepare(socket: TCP): void;
}
