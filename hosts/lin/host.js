/*
 * The Linux host's process: arguments, environment, signals, output, exit.
 */

export function args() @ "xs_host_args";
export function getenv(name) @ "xs_host_getenv";
export function print(line) @ "xs_host_print";
export function error(line) @ "xs_host_error";
export function exit(code) @ "xs_host_exit";
export function onSignal(callback) @ "xs_host_on_signal";
export function debuggerConnected() @ "xs_host_debugger";
export function exists(path) @ "xs_host_exists";
export function remove(path) @ "xs_host_remove";
export function randomBytes(count) @ "xs_host_random_bytes";
