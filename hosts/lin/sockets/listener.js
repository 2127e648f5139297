/*
 * embedded:io/socket/listener for the headless Linux host: accepts from a G_IO_IN watch on
 * the GLib main loop (see tcp.c, which holds the native side of both modules).
 */

import TCP from "embedded:io/socket/tcp";

function accept(socket) @ "xs_lin_listener_read";

class Listener @ "xs_lin_listener_destructor" {
	constructor(options) @ "xs_lin_listener_constructor";
	close() @ "xs_lin_listener_close";
	/** The oldest pending connection, as a socket to pass as `from` to the TCP constructor; undefined when none. */
	read() {
		return accept.call(this, new TCP);
	}

	get port() @ "xs_lin_listener_get_port";
	get format() {
		return "socket/tcp";
	}
	set format(value) {
		if ("socket/tcp" !== value)
			throw new RangeError("unimplemented");
	}
}

export default Listener;
