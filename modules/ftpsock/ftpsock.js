/*
 * ftpsock's JS face (contract: ftpsock.d.ts). The native side calls back once per operation;
 * here those callbacks become Promises and codes become Errors. File bytes never come here.
 */

function listen(address, port, portMin, portMax, peer, callback) @ "xs_ftpsock_listener";
function open(from, port, callback) @ "xs_ftpsock_connection";
function sendFile(file, offset, idleTimeout, callback) @ "xs_ftpsock_connection_send_file";
function receiveFile(path, mode, offset, idleTimeout, callback) @ "xs_ftpsock_connection_receive_file";
function send(data, callback) @ "xs_ftpsock_connection_send";
function sendListing(path, format, writable, now, idleTimeout, callback) @ "xs_ftpsock_connection_send_listing";
function localAddress(remote) @ "xs_ftpsock_local_address_for";

function idleTimeout(options) {
	const timeout = options?.idleTimeout ?? 0;
	if (!(timeout >= 0))
		throw new RangeError("invalid idleTimeout");
	return timeout;
}

// The one native callback shape of a transfer: (code, bytes), code undefined on success.
function settle(resolve, reject) {
	return (code, bytes) => code ? reject(new Error(code)) : resolve(bytes);
}

// The native callback of every listener, with the listener as `this`: no closure per listener.
function listened(code) {
	const options = this.options;
	if (code)
		options.onError?.(code);
	else
		options.onConnect(new DataConnection(this));
}

export class DataListener extends Native("xs_ftpsock_listener_destructor") {
	constructor(options) {
		super();
		this.options = options;
		const code = listen.call(this, options.address, options.port ?? 0, options.portMin ?? 0, options.portMax ?? 0, options.peer, listened);
		if (code)
			throw new Error(code);
	}
	get port() @ "xs_ftpsock_listener_get_port";
	close() @ "xs_ftpsock_listener_close";
}

export class DataConnection extends Native("xs_ftpsock_connection_destructor") {
	// Not for applications: (listener) takes what a DataListener accepted; (address, port,
	// callback) connects.
	constructor(from, port, callback) {
		super();
		const code = open.call(this, from, port, callback);
		if (code)		// failed at once (e.g. EMFILE): reported as a later failure would be, after connect() returned
			Promise.resolve(code).then(callback);
	}
	static connect(options) {
		const {onConnect, onError} = options;
		const connection = new DataConnection(options.address, options.port, code => code ? onError(code) : onConnect(connection));
		return connection;
	}
	get remoteAddress() @ "xs_ftpsock_connection_get_remoteAddress";
	get remotePort() @ "xs_ftpsock_connection_get_remotePort";
	get bytes() @ "xs_ftpsock_connection_get_bytes";
	get sinceEnd() @ "xs_ftpsock_connection_get_sinceEnd";
	sendFile(file, offset, options) {
		return new Promise((resolve, reject) => {
			const code = sendFile.call(this, file, offset, idleTimeout(options), settle(resolve, reject));
			if (code)
				reject(new Error(code));
		});
	}
	receiveFile(path, mode, offset, options) {
		return new Promise((resolve, reject) => {
			const code = receiveFile.call(this, path, mode, offset, idleTimeout(options), settle(resolve, reject));
			if (code)
				reject(new Error(code));
		});
	}
	sendListing(path, format, writable, now, options) {
		return new Promise((resolve, reject) => {
			const code = sendListing.call(this, path, format, writable ? 1 : 0, now, idleTimeout(options), settle(resolve, reject));
			if (code)
				reject(new Error(code));
		});
	}
	send(data) {
		return new Promise((resolve, reject) => {
			const code = send.call(this, data, settle(() => resolve(), reject));
			if (code)
				reject(new Error(code));
		});
	}
	// The same operations without a promise, for the server's sessions: each promise, its
	// resolving functions and the await of it cost a few K instructions per transfer on XS.
	startSendFile(file, offset, idleTimeout, callback) @ "xs_ftpsock_connection_send_file";
	startReceiveFile(path, mode, offset, idleTimeout, callback) @ "xs_ftpsock_connection_receive_file";
	startSendListing(path, format, writable, now, idleTimeout, callback) @ "xs_ftpsock_connection_send_listing";
	startSend(data, callback) @ "xs_ftpsock_connection_send";
	abort() @ "xs_ftpsock_connection_abort";
	close() @ "xs_ftpsock_connection_close";
}

// Constructed natively, which throws Error(code) itself: a JS constructor over a native open
// cost about 1.5 K instructions and 3 slots more per RETR.
export class FileSource @ "xs_ftpsock_source_destructor" {
	constructor(path) @ "xs_ftpsock_source";
	get size() @ "xs_ftpsock_source_get_size";
	close() @ "xs_ftpsock_source_close";
}

// STAT's listing (ftpsock_listing.c): read(buffer) fills it with the next lines, 0 at the end.
function openListing(path, format, writable, now) @ "xs_ftpsock_listing";

export class Listing extends Native("xs_ftpsock_listing_destructor") {
	constructor(path, format, writable, now) {
		super();
		openListing.call(this, path, format, writable ? 1 : 0, now);
	}
	read(buffer) @ "xs_ftpsock_listing_read";
	close() @ "xs_ftpsock_listing_close";
}

export function localAddressFor(remote) {
	const address = localAddress(remote);
	if (address.startsWith("E"))		// a code, as dotted quads start with a digit
		throw new Error(address);
	return address;
}
