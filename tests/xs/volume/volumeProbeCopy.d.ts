declare module "volumeProbeCopy" {
	export function copy(from: string, offset: number, to: string, append: boolean, toOffset: number, chunk: number): number;
	export function descriptor(path: string): number;
	export function errorName(code: number): string;
}
