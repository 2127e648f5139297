export function collect() @ "xs_probe_collect";
export function fdCount() @ "xs_probe_fd_count";
