// The XS image of a device build: what xsl put in flash, read from mc.xs.c's declarations.
// Used by check:devices and check:firmware.

/** Bytes per XS slot on the ESP chips (32-bit). */
export const SLOT = 16;

/** Bytecode arrays and the preloaded heap, from mc.xs.c's source. */
export function imageSize(source) {
	const define = name => Number(new RegExp(`#define ${name} (\\d+)`).exec(source)?.[1] ?? 0);
	let code = 0;
	for (const m of source.matchAll(/^static const txU1 gxCode\d+\[(\d+)\];$/gm))
		code += Number(m[1]);
	const slots = define("mxHeapCount");
	const keys = define("mxKeysCount") + define("mxNamesCount") + define("mxSymbolsCount");
	return {code, slots, aliases: define("mxAliasCount"), scripts: define("mxScriptsCount"), total: code + slots * SLOT + keys * 4};
}

/** One line: the image's size in flash and what it is made of. */
export function describeImage(image) {
	return `XS image ${Math.round(image.total / 1024)} KB in flash: ` +
		`${image.code} bytes of bytecode in ${image.scripts} modules, ${image.slots} preloaded slots ` +
		`(${image.slots * SLOT} bytes), ${image.aliases} aliasable objects (copied to RAM when written)`;
}
