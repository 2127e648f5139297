// npm run check:cycles (and part of npm test): fails when files of modules/ and hosts/ depend on
// each other in a circle, directly or around a loop.
//   TypeScript and JavaScript: an import of any kind (`import`, `import type`, `export ... from`,
//   a dynamic import of a literal) is an edge to the file it names. Specifiers resolve as the
//   build does: relative paths, the `ftpd/...` names of modules/manifest.json and tsconfig.json,
//   and the module names the manifests of modules/ and hosts/ map to files (ftpsock, volume...).
//   C: a header that declares the functions of one .c file is that file's interface: including
//   it is an edge to the header and to that file. A header that declares functions of several
//   .c files is an interface between them (ftpsock_backend.h between ftpsock's binding and its
//   backends, volumeBackend.h between the volume and its storage backends, a module's internal
//   header): including it is an edge to it alone. A call from one .c file to a function another
//   .c file defines (not static; found by name) is an edge to that file, except when a header of
//   the second kind that both files include declares it: each side then depends on the
//   interface, not on the other.
// Prints each circle found (or "no cycles") with the number of files and edges read.
import {readFileSync, readdirSync, statSync, existsSync} from "node:fs";
import {dirname, join, relative, resolve} from "node:path";
import {fileURLToPath} from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const folders = ["modules", "hosts"].map(folder => join(root, folder));

function walk(dir, out = []) {
	for (const name of readdirSync(dir).sort()) {
		const path = join(dir, name);
		if (statSync(path).isDirectory())
			walk(path, out);
		else
			out.push(path);
	}
	return out;
}

const files = folders.flatMap(folder => walk(folder));
const name = path => relative(root, path);
const edges = new Map();		// file → Map(file → why)
function addEdge(from, to, why) {
	if (from === to)
		return;
	if (!edges.has(from))
		edges.set(from, new Map());
	if (!edges.get(from).has(to))
		edges.get(from).set(to, why);
}

/*
	TypeScript and JavaScript
*/

const scriptExtensions = [".ts", ".js", ".d.ts"];
const isScript = path => /\.(ts|js)$/.test(path);

function scriptFile(base) {
	for (const extension of ["", ...scriptExtensions]) {
		const path = base + extension;
		if (existsSync(path) && statSync(path).isFile() && isScript(path))
			return path;
	}
	return undefined;
}

// Module names the manifests map ("ftpsock": "./ftpsock", "ftpd/protocol/*": "./protocol/*"),
// with the folder each manifest is in; tsconfig.json's paths too.
const mappings = [];
for (const path of files.filter(path => path.endsWith("manifest.json"))) {
	const manifest = JSON.parse(readFileSync(path, "utf8"));
	const collect = modules => {
		for (const [key, value] of Object.entries(modules ?? {})) {
			if (key === "*")
				continue;
			for (const target of [value].flat())
				mappings.push({key, target: resolve(dirname(path), target.replace(/^\$\(MODULES\).*/, "/nonexistent"))});
		}
	};
	collect(manifest.modules);
	for (const platform of Object.values(manifest.platforms ?? {}))
		collect(platform.modules);
}
const tsconfig = JSON.parse(readFileSync(join(root, "tsconfig.json"), "utf8"));
for (const [key, targets] of Object.entries(tsconfig.compilerOptions?.paths ?? {})) {
	for (const target of targets)
		mappings.push({key, target: resolve(root, target)});
}

function resolveSpecifier(from, specifier) {
	if (specifier.startsWith("."))
		return scriptFile(resolve(dirname(from), specifier));
	for (const {key, target} of mappings) {
		if (key.endsWith("*")) {
			const prefix = key.slice(0, -1);
			if (specifier.startsWith(prefix)) {
				const found = scriptFile(target.replace("*", specifier.slice(prefix.length)));
				if (found)
					return found;
			}
		}
		else if (key === specifier) {
			const found = scriptFile(target);
			if (found)
				return found;
		}
	}
	return undefined;		// the SDK's or Node's: outside modules/ and hosts/
}

const importPattern = /(?:^|[;\n])\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;
let scripts = 0;
for (const path of files.filter(isScript)) {
	scripts++;
	const text = readFileSync(path, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
	for (const match of text.matchAll(importPattern)) {
		const specifier = match[1] ?? match[2];
		const target = resolveSpecifier(path, specifier);
		if (target)
			addEdge(path, target, `imports "${specifier}"`);
	}
}

/*
	C
*/

const cFiles = files.filter(path => /\.[ch]$/.test(path));
const sources = cFiles.filter(path => path.endsWith(".c"));

function stripC(text) {
	return text.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/.*$/gm, "").replace(/"(?:[^"\\\n]|\\.)*"/g, "\"\"").replace(/'(?:[^'\\\n]|\\.)*'/g, "0");
}

// Function definitions at the top level: a signature line, then `{` (this project's style).
const definitionPattern = /^(static\s+)?(?:inline\s+)?[A-Za-z_][\w\s*]*?\b([A-Za-z_]\w*)\s*\([^;{}]*\)\s*\n\{/gm;
const defined = new Map();		// function → files defining it (not static; each backend defines the interface's)
const local = new Map();		// file → functions it defines (static or not)
for (const path of sources) {
	const text = stripC(readFileSync(path, "utf8"));
	const names = new Set();
	// static when any declaration in the file says so (a static prototype, then the definition)
	const statics = new Set([...text.matchAll(/^static\s+(?:inline\s+)?[A-Za-z_][\w\s*]*?\b([A-Za-z_]\w*)\s*\(/gm)].map(match => match[1]));
	for (const match of text.matchAll(definitionPattern)) {
		names.add(match[2]);
		if (!match[1] && !statics.has(match[2])) {
			if (!defined.has(match[2]))
				defined.set(match[2], new Set());
			defined.get(match[2]).add(path);
		}
	}
	local.set(path, names);
}

// What each header declares of the .c files, and so whose interface it is.
const declaredIn = new Map();	// function → headers declaring it
const owners = new Map();		// header → .c files whose functions it declares
for (const path of cFiles.filter(path => path.endsWith(".h"))) {
	const text = stripC(readFileSync(path, "utf8"));
	const found = new Set();
	for (const match of text.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) {
		const definers = defined.get(match[1]);
		if (!definers)
			continue;
		definers.forEach(owner => found.add(owner));
		if (!declaredIn.has(match[1]))
			declaredIn.set(match[1], new Set());
		declaredIn.get(match[1]).add(path);
	}
	owners.set(path, found);
}
const isShared = header => owners.get(header).size > 1;

const includes = new Map();		// file → [project files it includes]
for (const path of cFiles) {
	const found = [];
	for (const match of readFileSync(path, "utf8").matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
		const target = resolve(dirname(path), match[1]);
		if (!existsSync(target) || !files.includes(target))
			continue;
		found.push(target);
		addEdge(path, target, `#include "${match[1]}"`);
		// (from a .c file: a header including another is left to the include edges)
		if (path.endsWith(".c") && target.endsWith(".h") && !isShared(target)) {
			for (const owner of owners.get(target))
				addEdge(path, owner, `#include "${match[1]}", its interface`);
		}
	}
	includes.set(path, found);
}

function includedClosure(path, seen = new Set()) {
	for (const header of includes.get(path) ?? []) {
		if (!seen.has(header)) {
			seen.add(header);
			includedClosure(header, seen);
		}
	}
	return seen;
}

let calls = 0;
for (const path of sources) {
	const text = stripC(readFileSync(path, "utf8"));
	const mine = local.get(path);
	const closure = includedClosure(path);
	for (const match of text.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) {
		const callee = match[1];
		if (mine.has(callee))
			continue;
		for (const owner of defined.get(callee) ?? []) {
			calls++;
			// declared in a header both include that is an interface between several files:
			// not a dependency on the other side
			const ownerClosure = includedClosure(owner);
			const shared = [...(declaredIn.get(callee) ?? [])].some(header => isShared(header) && closure.has(header) && ownerClosure.has(header));
			if (!shared)
				addEdge(path, owner, `calls ${callee}()`);
		}
	}
}

/*
	Circles: strongly connected components (Tarjan), each shown as one loop through it
*/

const nodes = [...new Set([...files.filter(path => isScript(path) || /\.[ch]$/.test(path))])];
let index = 0;
const stack = [], onStack = new Set(), indices = new Map(), low = new Map(), components = [];
function connect(node) {
	indices.set(node, index);
	low.set(node, index++);
	stack.push(node);
	onStack.add(node);
	for (const next of (edges.get(node) ?? new Map()).keys()) {
		if (!indices.has(next)) {
			connect(next);
			low.set(node, Math.min(low.get(node), low.get(next)));
		}
		else if (onStack.has(next))
			low.set(node, Math.min(low.get(node), indices.get(next)));
	}
	if (low.get(node) === indices.get(node)) {
		const component = [];
		let member;
		do {
			member = stack.pop();
			onStack.delete(member);
			component.push(member);
		} while (member !== node);
		if (component.length > 1)
			components.push(component);
	}
}
for (const node of nodes) {
	if (!indices.has(node))
		connect(node);
}

// A loop from the component's first file back to it, by breadth-first search inside it.
function loop(component) {
	const members = new Set(component);
	const start = component.slice().sort()[0];
	const previous = new Map([[start, null]]);
	const queue = [start];
	while (queue.length) {
		const node = queue.shift();
		for (const next of (edges.get(node) ?? new Map()).keys()) {
			if (!members.has(next))
				continue;
			if (next === start) {
				const path = [node];
				for (let at = previous.get(node); at; at = previous.get(at))
					path.unshift(at);
				return path.map((file, i) => `${name(file)} (${edges.get(file).get(path[i + 1] ?? start)})`).join(" → ") + ` → ${name(start)}`;
			}
			if (!previous.has(next)) {
				previous.set(next, node);
				queue.push(next);
			}
		}
	}
	return component.map(name).join(", ");
}

const edgeCount = [...edges.values()].reduce((sum, targets) => sum + targets.size, 0);
console.log(`check-cycles: ${scripts} TS/JS files and ${cFiles.length} C files of modules/ and hosts/, ${edgeCount} dependencies (${calls} calls between C files)`);
if (!components.length) {
	console.log("no cycles");
	process.exit(0);
}
for (const component of components)
	console.log(`cycle: ${loop(component)}`);
console.log(`${components.length} cycle${(components.length > 1) ? "s" : ""}`);
process.exit(1);
