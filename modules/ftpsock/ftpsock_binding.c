/*
 * ftpsock's binding: the host functions behind ftpsock.js (contract: ftpsock.d.ts), written once
 * over the backend interface of ftpsock_backend.h. Arguments are checked, records found and
 * checked ready here, before the backend is asked for anything, so that a throw leaves nothing
 * behind; the backend moves the bytes.
 *
 * Callback conventions, the same whatever the backend: a connect reports callback(code) with
 * code undefined on success; a transfer callback(code, bytes); a listener callback(code) once,
 * code undefined when a connection was accepted. A callback never runs inside the native call
 * that started its operation.
 */
#include "xsmc.h"
#include "xsHost.h"

#include "ftpsock_backend.h"

#ifndef ICACHE_RODATA_ATTR
	#define ICACHE_RODATA_ATTR
#endif

void xs_ftpsock_connection_destructor(void *data);
void xs_ftpsock_listener_destructor(void *data);
void xs_ftpsock_source_destructor(void *data);
static void xs_ftpsock_connection_mark(xsMachine *the, void *it, xsMarkRoot markRoot);
static void xs_ftpsock_listener_mark(xsMachine *the, void *it, xsMarkRoot markRoot);

static const xsHostHooks ICACHE_RODATA_ATTR xsFtpSockConnectionHooks = {
	xs_ftpsock_connection_destructor,
	xs_ftpsock_connection_mark,
	NULL
};

static const xsHostHooks ICACHE_RODATA_ATTR xsFtpSockListenerHooks = {
	xs_ftpsock_listener_destructor,
	xs_ftpsock_listener_mark,
	NULL
};

static const xsHostHooks ICACHE_RODATA_ATTR xsFtpSockSourceHooks = {
	xs_ftpsock_source_destructor,
	NULL,
	NULL
};

const char kSettled[] = "";

// A dotted quad as inet_pton() takes it: four decimal bytes, no leading zeros.
static int parseDottedQuad(const char *text, FtpSockAddress *address)
{
	uint32_t part;
	int i, digits;

	for (i = 0; i < 4; i++) {
		part = 0;
		for (digits = 0; ('0' <= *text) && (*text <= '9'); digits++, text++) {
			if (digits && !part)
				return 0;
			part = (part * 10) + (uint32_t)(*text - '0');
			if (part > 255)
				return 0;
		}
		if (!digits)
			return 0;
		if (*text++ != ((i < 3) ? '.' : 0))
			return 0;
		address->byte[i] = (uint8_t)part;
	}
	return 1;
}

// A dotted quad, else RangeError.
static FtpSockAddress parseAddress(xsMachine *the, xsSlot *slot)
{
	FtpSockAddress address;

	if ((xsStringType != xsmcTypeOf(*slot)) || !parseDottedQuad(xsmcToString(*slot), &address))
		xsRangeError("invalid IPv4 address");
	return address;
}

// 0...65535, else RangeError.
static int parsePort(xsMachine *the, xsSlot *slot)
{
	int port = xsmcToInteger(*slot);

	if ((port < 0) || (port > 65535))
		xsRangeError("invalid port");
	return port;
}

/*
	DataListener
*/

// (address, port, portMin, portMax, peer, callback): undefined, or the code of why no port
// could be bound (EADDRINUSE when the whole range is taken).
void xs_ftpsock_listener(xsMachine *the)
{
	FtpSockListener listener;
	FtpSockListenerBase *base;
	FtpSockAddress address = parseAddress(the, &xsArg(0));
	FtpSockAddress peer = parseAddress(the, &xsArg(4));
	int port = parsePort(the, &xsArg(1));
	int portMin = parsePort(the, &xsArg(2));
	int portMax = parsePort(the, &xsArg(3));
	const char *code;

	if (!xsmcIsCallable(xsArg(5)))
		xsTypeError("no callback");
	if (portMin && portMax) {
		if (portMin > portMax)
			xsRangeError("invalid port range");
	}
	else
		portMin = portMax = port;

	listener = ftpsockListenerCreate();
	if (!listener)
		xsUnknownError("no memory");
	base = ftpsockListenerBase(listener);
	base->the = the;
	base->obj = xsThis;
	base->callback = xsmcToReference(xsArg(5));
	xsmcSetHostData(xsThis, listener);
	xsSetHostHooks(xsThis, (xsHostHooks *)&xsFtpSockListenerHooks);

	code = ftpsockListenerListen(listener, address, portMin, portMax, peer);
	if (code)
		xsmcSetString(xsResult, (char *)code);
}

void xs_ftpsock_listener_destructor(void *data)
{
	if (data)
		ftpsockListenerDestroy(data);
}

void xs_ftpsock_listener_mark(xsMachine *the, void *it, xsMarkRoot markRoot)
{
	FtpSockListenerBase *base = ftpsockListenerBase(it);

	if (base->callback)
		(*markRoot)(the, base->callback);
}

void xs_ftpsock_listener_close(xsMachine *the)
{
	FtpSockListener listener = xsmcGetHostDataValidate(xsThis, (void *)&xsFtpSockListenerHooks);

	if (listener)
		ftpsockListenerClose(listener);
}

void xs_ftpsock_listener_get_port(xsMachine *the)
{
	FtpSockListener listener = xsmcGetHostDataValidate(xsThis, (void *)&xsFtpSockListenerHooks);

	xsmcSetInteger(xsResult, listener ? ftpsockListenerPort(listener) : 0);
}

void ftpsockListenerReport(FtpSockListener listener, const char *code)
{
	FtpSockListenerBase *base = ftpsockListenerBase(listener);
	xsMachine *the = base->the;

	xsBeginHost(the);
	{
		xsTry {
			// The DataListener is `this` of the call: on the stack, it outlives the callback.
			if (code)
				xsCallFunction1(xsReference(base->callback), base->obj, xsString((char *)code));
			else
				xsCallFunction0(xsReference(base->callback), base->obj);
		}
		xsCatch {
			ftpsockListenerDropAccepted(listener);
			xsThrow(xsException);
		}
		ftpsockListenerDropAccepted(listener);
	}
	xsEndHost(the);
}

// (remote): the dotted quad of the local address that routes to `remote` (the 227 reply), or
// an error code.
void xs_ftpsock_local_address_for(xsMachine *the)
{
	FtpSockAddress remote = parseAddress(the, &xsArg(0));
	char text[48];

	xsmcSetString(xsResult, (char *)ftpsockLocalAddress(remote, text));
}

/*
	FileSource: a file opened for a download before its data connection exists, so that the
	command learns the size (and a missing file's 550) from the open itself; sendFile takes
	the open file over. Its record is the size it had when opened, beside the file.
*/

typedef struct {
	VolumeFile file;
	int64_t size;
} FtpSockSourceRecord, *FtpSockSource;

// Throws an Error whose message is the volume code alone (xsUnknownError would add
// " (in function)" in debug builds, and the code is what the caller maps to its reply).
static void throwCode(xsMachine *the, int32_t code)
{
	xsResult = xsNew1(xsGlobal, xsID("Error"), xsString((char *)volumeErrorName(code)));
	xsThrow(xsResult);
}

// The constructor, (path): opens the file, or throws Error(code): ENOENT, EISDIR for a folder...
void xs_ftpsock_source(xsMachine *the)
{
	int error = 0;
	VolumeFile file = volumeOpenRead(xsmcToString(xsArg(0)), 0, &error);
	FtpSockSource source;
	int64_t size;

	if (!file)
		throwCode(the, error);
	size = volumeSize(file);
	source = (size < 0) ? NULL : c_malloc(sizeof(FtpSockSourceRecord));
	if (!source) {
		volumeClose(file);
		throwCode(the, (size < 0) ? (int32_t)size : VOLUME_ENOMEM);
	}
	source->file = file;
	source->size = size;
	xsmcSetHostData(xsThis, source);
	xsSetHostHooks(xsThis, (xsHostHooks *)&xsFtpSockSourceHooks);
}

void xs_ftpsock_source_destructor(void *data)
{
	FtpSockSource source = data;

	if (!source)
		return;
	volumeClose(source->file);
	c_free(source);
}

void xs_ftpsock_source_get_size(xsMachine *the)
{
	FtpSockSource source = xsmcGetHostDataValidate(xsThis, (void *)&xsFtpSockSourceHooks);

	if (!source)
		xsUnknownError("closed");
	xsmcSetNumber(xsResult, (xsNumberValue)source->size);
}

void xs_ftpsock_source_close(xsMachine *the)
{
	FtpSockSource source = xsmcGetHostDataValidate(xsThis, (void *)&xsFtpSockSourceHooks);

	xsmcSetHostData(xsThis, NULL);
	xs_ftpsock_source_destructor(source);
}

// The open file of the FileSource in `slot`, which gives it up (closed, as after close()).
static VolumeFile sourceTake(xsMachine *the, xsSlot *slot)
{
	FtpSockSource source = xsmcGetHostDataValidate(*slot, (void *)&xsFtpSockSourceHooks);
	VolumeFile file;

	if (!source)
		xsUnknownError("closed");
	file = source->file;
	c_free(source);
	xsmcSetHostData(*slot, NULL);
	return file;
}

/*
	DataConnection
*/

static FtpSockConnection connectionGet(xsMachine *the)
{
	return xsmcGetHostDataValidate(xsThis, (void *)&xsFtpSockConnectionHooks);
}

// The connection, ready for a transfer: one at a time, as FTP's data connection does.
// Checked before anything is opened, so that a throw leaves nothing behind.
static FtpSockConnection connectionReady(xsMachine *the, xsSlot *callback)
{
	FtpSockConnection connection = connectionGet(the);

	if (!xsmcIsCallable(*callback))
		xsTypeError("no callback");
	if (!connection || (kStateClosed == ftpsockConnectionBase(connection)->state))
		xsUnknownError("closed");
	if (kStateIdle != ftpsockConnectionBase(connection)->state)
		xsUnknownError("busy");
	return connection;
}

static void connectionBegin(xsMachine *the, FtpSockConnection connection, uint8_t state, xsSlot *idleTimeout, xsSlot *callback)
{
	FtpSockConnectionBase *base = ftpsockConnectionBase(connection);
	xsNumberValue milliseconds = idleTimeout ? xsmcToNumber(*idleTimeout) : 0;

	base->callback = xsmcToReference(*callback);
	base->state = state;
	base->bytes = 0;
	base->offset = 0;
	if (!base->remembered) {
		xsRemember(base->obj);
		base->remembered = 1;
	}
	ftpsockConnectionStart(connection, milliseconds);
}

static void connectionAdopt(xsMachine *the, FtpSockConnection connection, uint8_t state)
{
	FtpSockConnectionBase *base = ftpsockConnectionBase(connection);

	base->the = the;
	base->obj = xsThis;
	base->state = state;
	xsmcSetHostData(xsThis, connection);
	xsSetHostHooks(xsThis, (xsHostHooks *)&xsFtpSockConnectionHooks);
}

// (listener): takes the connection the DataListener accepted.
// (address, port, callback): active mode; callback(code) once connected (code undefined) or
// not. Returns the code of a failure known at once; the JS face reports it asynchronously.
void xs_ftpsock_connection(xsMachine *the)
{
	FtpSockConnection connection;
	FtpSockAddress address;
	const char *code;
	int port;

	if (xsStringType != xsmcTypeOf(xsArg(0))) {
		FtpSockListener listener = xsmcGetHostDataValidate(xsArg(0), (void *)&xsFtpSockListenerHooks);

		connection = listener ? ftpsockConnectionAccepted(the, listener) : NULL;
		if (!connection)
			xsUnknownError("no accepted connection");
		connectionAdopt(the, connection, kStateIdle);
		return;
	}

	address = parseAddress(the, &xsArg(0));
	port = parsePort(the, &xsArg(1));
	if (!xsmcIsCallable(xsArg(2)))
		xsTypeError("no callback");
	connection = ftpsockConnectionCreate();
	if (!connection)
		xsUnknownError("no memory");
	connectionAdopt(the, connection, kStateClosed);
	code = ftpsockConnectionConnect(connection, address, port);
	if (code) {
		xsmcSetString(xsResult, (char *)code);
		return;
	}
	connectionBegin(the, connection, kStateConnecting, NULL, &xsArg(2));
}

void xs_ftpsock_connection_destructor(void *data)
{
	FtpSockConnectionBase *base = ftpsockConnectionBase(data);

	if (!data)
		return;
	if (base->listing) {
		ftpListingClose(base->listing);		// nobody waits for this listing any more
		base->listing = NULL;
	}
	ftpsockConnectionDestroy(data);
}

void xs_ftpsock_connection_mark(xsMachine *the, void *it, xsMarkRoot markRoot)
{
	FtpSockConnectionBase *base = ftpsockConnectionBase(it);

	if (base->callback)
		(*markRoot)(the, base->callback);
}

// What a failed preparation leaves: the file closed (only opened, or created empty: the caller
// deletes what an upload created) or the listing, the code as the result.
static void connectionUnprepare(xsMachine *the, FtpSockConnection connection, int32_t error)
{
	FtpSockConnectionBase *base = ftpsockConnectionBase(connection);

	if (base->file) {
		volumeClose(base->file);
		base->file = NULL;
	}
	if (base->listing) {
		ftpListingClose(base->listing);
		base->listing = NULL;
	}
	xsmcSetString(xsResult, (char *)volumeErrorName(error));
}

// Starts a transfer whose file or listing was just opened (none: `error` says why, as the
// result): the backend prepares what it needs, then the operation begins.
static void connectionTransfer(xsMachine *the, FtpSockConnection connection, int32_t error, uint8_t state, xsSlot *idleTimeout, xsSlot *callback)
{
	FtpSockConnectionBase *base = ftpsockConnectionBase(connection);
	int32_t result;

	if (!base->file && !base->listing) {
		xsmcSetString(xsResult, (char *)volumeErrorName(error));
		return;
	}
	result = (kStateReceiveFile == state) ? ftpsockConnectionPrepareReceive(connection) : ftpsockConnectionPrepareSend(connection);
	if (VOLUME_OK != result) {
		connectionUnprepare(the, connection, result);
		return;
	}
	connectionBegin(the, connection, state, idleTimeout, callback);
}

// (file, offset, idleTimeout, callback): `file` is a path, or a FileSource whose open file the
// transfer takes over (from here on the transfer closes it). Undefined, or the code of why the
// file did not open or could not be positioned at `offset`.
void xs_ftpsock_connection_send_file(xsMachine *the)
{
	FtpSockConnection connection = connectionReady(the, &xsArg(3));
	FtpSockConnectionBase *base = ftpsockConnectionBase(connection);
	uint32_t offset = (uint32_t)xsmcToInteger(xsArg(1));
	int error = 0;

	if (xsStringType == xsmcTypeOf(xsArg(0)))
		base->file = volumeOpenRead(xsmcToString(xsArg(0)), 0, &error);
	else
		base->file = sourceTake(the, &xsArg(0));		// last of what may throw: the file is never left behind
	if (base->file && offset) {
		error = volumeSeek(base->file, offset);
		if (error) {
			volumeClose(base->file);
			base->file = NULL;
		}
	}
	connectionTransfer(the, connection, error, kStateSendFile, &xsArg(2), &xsArg(3));
}

// (path, format, writable (0 or 1), now, idleTimeout, callback): a folder's listing made natively
// (ftpsock_listing.h), sent through the buffer as a file is. Undefined, or the code of why the
// folder did not open.
void xs_ftpsock_connection_send_listing(xsMachine *the)
{
	FtpSockConnection connection = connectionReady(the, &xsArg(5));
	FtpSockConnectionBase *base = ftpsockConnectionBase(connection);
	int32_t error = 0;

	base->listing = ftpListingOpen(xsmcToString(xsArg(0)), (uint8_t)xsmcToInteger(xsArg(1)), (uint8_t)xsmcToInteger(xsArg(2)), (int64_t)xsmcToNumber(xsArg(3)), &error);
	connectionTransfer(the, connection, error, kStateSendFile, &xsArg(4), &xsArg(5));
}

// (path, mode, offset, idleTimeout, callback): undefined, or the code of why the file did not open.
void xs_ftpsock_connection_receive_file(xsMachine *the)
{
	FtpSockConnection connection = connectionReady(the, &xsArg(4));
	FtpSockConnectionBase *base = ftpsockConnectionBase(connection);
	const char *mode = xsmcToString(xsArg(1));
	int append, error = 0;

	if (!c_strcmp(mode, "w"))
		append = 0;
	else if (!c_strcmp(mode, "a"))
		append = 1;
	else
		xsRangeError("invalid mode");
	base->file = volumeOpenWrite(xsmcToString(xsArg(0)), append, (uint32_t)xsmcToInteger(xsArg(2)), &error);
	connectionTransfer(the, connection, error, kStateReceiveFile, &xsArg(3), &xsArg(4));
}

// (data, callback): the bytes of an ArrayBuffer (or view), or a string's UTF-8, copied once.
void xs_ftpsock_connection_send(xsMachine *the)
{
	FtpSockConnection connection = connectionReady(the, &xsArg(1));
	FtpSockConnectionBase *base = ftpsockConnectionBase(connection);
	void *data;
	xsUnsignedValue length;

	if (xsStringType == xsmcTypeOf(xsArg(0))) {
		data = xsmcToString(xsArg(0));
		length = (xsUnsignedValue)c_strlen(data);
	}
	else
		xsmcGetBufferReadable(xsArg(0), &data, &length);
	if (length) {
		base->buffer = c_malloc(length);
		if (!base->buffer) {
			xsmcSetString(xsResult, (char *)volumeErrorName(VOLUME_ENOMEM));
			return;
		}
		c_memcpy(base->buffer, data, length);
	}
	base->bufferSize = base->length = length;
	connectionBegin(the, connection, kStateSendBytes, NULL, &xsArg(1));
}

// true when an operation was pending: its callback has been called with EABORTED. false when
// there was none, also when the last one settled and JS has not yet seen its promise settle
// (its reaction runs a turn later): the caller then knows nothing was interrupted.
void xs_ftpsock_connection_abort(xsMachine *the)
{
	FtpSockConnection connection = connectionGet(the);
	uint8_t state = connection ? ftpsockConnectionBase(connection)->state : kStateClosed;

	if ((kStateIdle == state) || (kStateClosed == state)) {
		xsmcSetFalse(xsResult);
		return;
	}
	ftpsockConnectionFinish(the, connection, "EABORTED");
	xsmcSetTrue(xsResult);
}

// A pending transfer rejects with EABORTED; a pending connect is dropped without a callback
// (its owner is the one closing). What was handed to the stack is still delivered, then FIN.
void xs_ftpsock_connection_close(xsMachine *the)
{
	FtpSockConnection connection = connectionGet(the);

	if (connection && (kStateClosed != ftpsockConnectionBase(connection)->state))
		ftpsockConnectionClose(the, connection);
}

void xs_ftpsock_connection_get_remoteAddress(xsMachine *the)
{
	FtpSockConnection connection = connectionGet(the);
	char text[48];

	if (connection && ftpsockConnectionRemoteAddress(connection, text))
		xsmcSetString(xsResult, text);
}

void xs_ftpsock_connection_get_remotePort(xsMachine *the)
{
	FtpSockConnection connection = connectionGet(the);

	if (connection)
		xsmcSetInteger(xsResult, ftpsockConnectionRemotePort(connection));
}

void xs_ftpsock_connection_get_bytes(xsMachine *the)
{
	FtpSockConnection connection = connectionGet(the);

	xsmcSetNumber(xsResult, connection ? (xsNumberValue)ftpsockConnectionBase(connection)->bytes : 0);
}

void xs_ftpsock_connection_get_sinceEnd(xsMachine *the)
{
	FtpSockConnection connection = connectionGet(the);

	xsmcSetNumber(xsResult, connection ? ftpsockConnectionSinceEnd(connection) : -1);
}

void ftpsockConnectionSettle(xsMachine *the, FtpSockConnection connection, uint8_t state, const char *code)
{
	FtpSockConnectionBase *base = ftpsockConnectionBase(connection);
	xsSlot *callback = base->callback;
	int32_t result;

	if (base->file) {
		result = ftpsockConnectionKeepsFile(connection, base->file) ? VOLUME_OK : volumeClose(base->file);
		base->file = NULL;
		// A failed commit loses an upload that looked complete: it fails the transfer. After
		// another failure (or an abort) the caller deletes the partial file, whatever its state.
		if (!code && (result < 0))
			code = volumeErrorName(result);
	}
	if (base->listing) {
		ftpListingClose(base->listing);
		base->listing = NULL;
	}
	ftpsockConnectionEnd(connection, state, code);
	base->callback = NULL;
	if (kStateClosed != base->state)
		base->state = kStateIdle;
	if (base->remembered) {
		base->remembered = 0;
		xsForget(base->obj);
	}
	if (!callback)
		return;
	// The DataConnection is `this` of the call, on the stack: no longer remembered, it still
	// outlives the callback. Nothing allocates between xsForget and this push.
	if (kStateConnecting == state) {
		if (code)
			xsCallFunction1(xsReference(callback), base->obj, xsString((char *)code));
		else
			xsCallFunction0(xsReference(callback), base->obj);
	}
	else if (code)
		xsCallFunction2(xsReference(callback), base->obj, xsString((char *)code), xsNumber((xsNumberValue)base->bytes));
	else
		xsCallFunction2(xsReference(callback), base->obj, xsUndefined, xsNumber((xsNumberValue)base->bytes));
}

int32_t ftpsockConnectionRead(FtpSockConnection connection)
{
	FtpSockConnectionBase *base = ftpsockConnectionBase(connection);

	if (base->listing)
		return ftpListingRead(base->listing, base->buffer, base->bufferSize);
	return volumeRead(base->file, base->buffer, base->bufferSize);
}

void ftpsockConnectionPump(FtpSockConnection connection)
{
	const char *code;

	switch (ftpsockConnectionBase(connection)->state) {
		case kStateConnecting:
			code = ftpsockPumpConnect(connection);
			break;
		case kStateSendFile:
			code = ftpsockPumpSendFile(connection);
			break;
		case kStateSendBytes:
			code = ftpsockPumpSendBytes(connection);
			break;
		case kStateReceiveFile:
			code = ftpsockPumpReceiveFile(connection);
			break;
		default:
			return;		// idle or closed: what the backend recorded waits for the next operation
	}
	if (code)
		ftpsockConnectionFinishInHost(connection, (kSettled == code) ? NULL : code);
}

void ftpsockConnectionFinishInHost(FtpSockConnection connection, const char *code)
{
	xsMachine *the = ftpsockConnectionBase(connection)->the;

	xsBeginHost(the);
	{
		ftpsockConnectionFinish(the, connection, code);
	}
	xsEndHost(the);
}
