/*
 * The probe's window on volume.h: the C face used as ftpsock uses it.
 */

/** Copies `from` (from byte `offset`) to `to` through a `chunk`-byte C buffer: volumeOpenWrite(to, append, toOffset). Returns the bytes copied. */
export function copy(from, offset, to, append, toOffset, chunk) @ "xs_volume_probe_copy";
/** volumeDescriptor of `path` opened for reading: >= 0 on a POSIX volume, -1 on LittleFS. */
export function descriptor(path) @ "xs_volume_probe_descriptor";
/** volumeErrorName(code) */
export function errorName(code) @ "xs_volume_probe_error_name";
