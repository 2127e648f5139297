declare module "probe" {
	/** a full garbage collection: host destructors of unreachable objects run */
	export function collect(): void;
	/** open file descriptors of the process */
	export function fdCount(): number;
}
