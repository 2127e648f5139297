/*
 * xsheap: the XS heap in use, read from the machine's own counters (xsheap.c). See xsheap.d.ts.
 */

export function collect() @ "xs_xsheap_collect";
export function slots() @ "xs_xsheap_slots";
export function chunks() @ "xs_xsheap_chunks";
export function stack() @ "xs_xsheap_stack";
export function modules() @ "xs_xsheap_modules";
export function system() @ "xs_xsheap_system";
