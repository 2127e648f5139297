/*
 * tcppeer: whether the peer of an ECMA-419 TCP socket (embedded:io/socket/tcp) is still there,
 * as the TCP stack knows it now, after a grace for a dying peer's last FIN or RST to arrive.
 * The native side is the Linux host's socket module (hosts/lin/sockets/tcp.c) or, on devices,
 * tcppeer_lwip.c beside the SDK's lwIP socket module. See tcppeer.d.ts.
 */

export function confirm(socket, callback, elapsed) @ "xs_tcppeer_confirm";
export function prepare(socket) @ "xs_tcppeer_prepare";
