/*
 * xsheap: the XS heap's figures, read natively from the running machine. XS keeps the slot
 * and chunk counts in every build; the stack peak and the count of modules loaded at run time
 * only in instrumented builds (mcconfig -d or -i), so elsewhere those read undefined.
 */
declare module "xsheap" {
	/** collects the garbage now, so the figures read next are live data; false in a build that defines xsheap.collect as 0 (it collects nothing) */
	export function collect(): boolean;
	/** bytes of the slot heap in use (a slot is 16 bytes on ESP chips, 32 on 64-bit hosts) */
	export function slots(): number;
	/** bytes of the chunk heap in use */
	export function chunks(): number;
	/** deepest use of the XS stack so far, in bytes; undefined in a build without instrumentation */
	export function stack(): number | undefined;
	/** modules loaded at run time; undefined in a build without instrumentation */
	export function modules(): number | undefined;
	/** bytes of native memory free; undefined where the platform does not tell (the Linux host) */
	export function system(): number | undefined;
}
