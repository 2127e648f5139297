/*
 * embedded:io/socket/tcp for the headless Linux host: event-driven on the GLib main loop
 * (see tcp.c). Same API as the SDK's lwIP module, plus localAddress / localPort.
 *
 * Methods are bound with `@`, so every argument reaches the native side: read(count) and
 * read(buffer) work here.
 */

class TCP @ "xs_lin_tcp_destructor" {
	constructor(options) @ "xs_lin_tcp_constructor";
	close() @ "xs_lin_tcp_close";
	read() @ "xs_lin_tcp_read";
	write(value) @ "xs_lin_tcp_write";

	get remoteAddress() @ "xs_lin_tcp_get_remoteAddress";
	get remotePort() @ "xs_lin_tcp_get_remotePort";
	get localAddress() @ "xs_lin_tcp_get_localAddress";
	get localPort() @ "xs_lin_tcp_get_localPort";

	get format() @ "xs_lin_tcp_get_format";
	set format(value) @ "xs_lin_tcp_set_format";
}

export default TCP;
