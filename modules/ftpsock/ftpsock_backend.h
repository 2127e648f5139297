/*
 * Between ftpsock's binding (ftpsock_binding.c: the host functions of DataListener,
 * DataConnection and localAddressFor, their argument checks, record lookup, ready checks,
 * getters, settling) and a backend that moves the bytes: POSIX sockets on the GLib loop of the
 * Linux host (ftpsock_posix*.c), lwIP's raw API on esp32 and esp (ftpsock_lwip*.c). A build links
 * exactly one backend.
 *
 * A backend's records start with the binding's part (FtpSockConnectionBase, FtpSockListenerBase)
 * as their first member, named `base`: the binding reaches it by a cast, the backend by name.
 * The binding runs on the XS thread, with a host context (`the`); so do the backend functions
 * below, which may throw only where said.
 */
#ifndef __FTPSOCK_BACKEND_H__
#define __FTPSOCK_BACKEND_H__

#include "xsmc.h"

#include "../volume/volume.h"
#include "ftpsock_listing.h"

// A connection's operation, one at a time (FTP's data connection moves one file).
enum {
	kStateIdle = 0,
	kStateConnecting,
	kStateSendFile,
	kStateSendBytes,
	kStateReceiveFile,
	kStateClosed
};

// The binding's part of a DataConnection record.
typedef struct {
	xsMachine *the;
	xsSlot obj;					// the DataConnection; remembered while an operation is pending
	xsSlot *callback;			// of the pending operation; marked by the host hooks
	VolumeFile file;			// of the pending sendFile or receiveFile
	FtpListing listing;			// of the pending sendListing: read like a file, into `buffer`
	uint8_t *buffer;			// send(): the bytes to send; else the backend's
	uint32_t bufferSize;
	uint32_t offset;			// next byte of `buffer` to send
	uint32_t length;			// bytes in `buffer`
	uint8_t state;
	uint8_t remembered;
	uint64_t bytes;				// moved by the pending or last operation
} FtpSockConnectionBase;

// The binding's part of a DataListener record. The listener is not remembered: a session that
// drops it without close() lets the collector run the destructor, which frees the port.
typedef struct {
	xsMachine *the;
	xsSlot obj;
	xsSlot *callback;			// marked by the host hooks while the DataListener lives
} FtpSockListenerBase;

// Each backend's record types; opaque to the binding.
typedef struct xsFtpSockConnectionRecord *FtpSockConnection;
typedef struct xsFtpSockListenerRecord *FtpSockListener;

#define ftpsockConnectionBase(connection) ((FtpSockConnectionBase *)(void *)(connection))
#define ftpsockListenerBase(listener) ((FtpSockListenerBase *)(void *)(listener))

// An IPv4 address, most significant byte first (as on the wire).
typedef struct {
	uint8_t byte[4];
} FtpSockAddress;

/*
	The binding, for backends
*/

// A pump's verdict besides an error code: NULL goes on waiting, kSettled succeeded.
extern const char kSettled[];

// A wakeup of the connection (its socket, or a message from lwIP): runs the pump of the
// pending operation, and settles the operation when the pump says it is done.
void ftpsockConnectionPump(FtpSockConnection connection);

// Ends the pending operation with `code` (ftpsockConnectionFinish) inside a host context of its
// own: for a backend's timer or loop callback.
void ftpsockConnectionFinishInHost(FtpSockConnection connection, const char *code);

// Ends the pending operation: closes its file (a failed commit of an upload becomes the
// operation's code), lets the backend release what the operation held
// (ftpsockConnectionEnd), goes idle unless closed, forgets the object, then calls the callback
// with `code` (NULL: success) and the bytes moved; last, since the callback may start the next
// operation or close. `state` is the operation's, for the callback's arguments.
void ftpsockConnectionSettle(xsMachine *the, FtpSockConnection connection, uint8_t state, const char *code);

// Fills base.buffer with the next bytes of the pending sendFile's file or sendListing's
// listing. Returns the bytes read (0 at the end) or a negative VOLUME_E* code.
int32_t ftpsockConnectionRead(FtpSockConnection connection);

// Calls the DataListener's callback with `code` (NULL: connected), inside its own host
// context; then drops what no DataConnection took (ftpsockListenerDropAccepted), also when
// the callback threw, whose exception then goes on to the host.
void ftpsockListenerReport(FtpSockListener listener, const char *code);

/*
	DataListener, implemented by each backend
*/

// A zeroed record with the backend's own initial values; NULL when out of memory.
FtpSockListener ftpsockListenerCreate(void);

// Binds the first free port of portMin...portMax on `address`, listens, and accepts one
// connection, from `peer` only, then reports it (ftpsockListenerReport). NULL, or the code of
// why no port could be bound (EADDRINUSE when the whole range is taken).
const char *ftpsockListenerListen(FtpSockListener listener, FtpSockAddress address, int portMin, int portMax, FtpSockAddress peer);

// The bound port.
uint16_t ftpsockListenerPort(FtpSockListener listener);

// Stops listening and drops what was accepted and not taken (close()).
void ftpsockListenerClose(FtpSockListener listener);

// The DataListener is collected: stop, drop, free (now, or once the backend lets go of it).
void ftpsockListenerDestroy(FtpSockListener listener);

// Drops (closes or resets) the connection accepted and not taken by a DataConnection.
void ftpsockListenerDropAccepted(FtpSockListener listener);

// The connection `listener` accepted, as a record ready to become a DataConnection's; NULL
// when there is none. May throw.
FtpSockConnection ftpsockConnectionAccepted(xsMachine *the, FtpSockListener listener);

// (remote): the dotted quad of the local address that routes to `remote`, written to `text`
// (48 bytes), or an error code.
const char *ftpsockLocalAddress(FtpSockAddress remote, char *text);

/*
	DataConnection, implemented by each backend
*/

// A zeroed record with the backend's own initial values, for an active connection; NULL when
// out of memory.
FtpSockConnection ftpsockConnectionCreate(void);

// Starts connecting to address:port (active mode). NULL, after which the binding begins the
// kStateConnecting operation, or the code of a failure known at once.
const char *ftpsockConnectionConnect(FtpSockConnection connection, FtpSockAddress address, int port);

// base.file is open for reading, or base.listing is open and there is no file (a listing goes
// through the buffer, as a file with no descriptor and no runs): allocates what the download
// needs. VOLUME_OK, or a code after which the binding closes the file or the listing.
int32_t ftpsockConnectionPrepareSend(FtpSockConnection connection);

// base.file is open for writing: allocates what the upload needs. As above.
int32_t ftpsockConnectionPrepareReceive(FtpSockConnection connection);

// The binding has set base.callback, .state, .bytes and .offset of a new operation, and
// remembered the object: the backend starts moving, with an idle timeout of `milliseconds`
// (0: none). A callback must not run inside this call.
void ftpsockConnectionStart(FtpSockConnection connection, xsNumberValue milliseconds);

// Called by ftpsockConnectionSettle once the file is closed: the backend releases what the
// operation held (watches, timers, buffers) and, after a failed connect, the connection.
void ftpsockConnectionEnd(FtpSockConnection connection, uint8_t state, const char *code);

// Ends the pending operation with `code` (abort(): EABORTED), doing what a failure does to
// the connection in this backend, then settles.
void ftpsockConnectionFinish(xsMachine *the, FtpSockConnection connection, const char *code);

// close() of a connection not closed yet: a pending transfer settles with EABORTED, a pending
// connect is dropped without a callback; what the stack holds is still delivered, then FIN.
void ftpsockConnectionClose(xsMachine *the, FtpSockConnection connection);

// The DataConnection is collected: nobody waits for its operation any more.
void ftpsockConnectionDestroy(FtpSockConnection connection);

// Settling, instead of closing the operation's file: nonzero when the backend keeps `file` and
// closes it itself, later (the socket may still hold the file's own pages rather than copies:
// the POSIX backend's lent downloads from an image).
int ftpsockConnectionKeepsFile(FtpSockConnection connection, VolumeFile file);

// The peer's address as a dotted quad in `text` (48 bytes); 0 when unknown.
int ftpsockConnectionRemoteAddress(FtpSockConnection connection, char *text);

// The peer's port.
uint16_t ftpsockConnectionRemotePort(FtpSockConnection connection);

// µs since the last receive met the peer's FIN (at least; tcppeer times its grace from there),
// or -1 when it did not.
xsNumberValue ftpsockConnectionSinceEnd(FtpSockConnection connection);

// The pumps, one per operation, run by ftpsockConnectionPump: each moves what it can now and
// returns NULL (wait for the next wakeup), kSettled (done) or an error code.
const char *ftpsockPumpConnect(FtpSockConnection connection);
const char *ftpsockPumpSendFile(FtpSockConnection connection);
const char *ftpsockPumpSendBytes(FtpSockConnection connection);
const char *ftpsockPumpReceiveFile(FtpSockConnection connection);

#endif
