/*
 * The volume's JS face (types and documentation in volume.d.ts); the work is in volume.c.
 * The objects returned here are built in JS, so their shape is written down once.
 */

export function mountImage(path, size) @ "xs_volume_mountImage";
export function mountRoot(directory) @ "xs_volume_mountRoot";
export function mountPartition() @ "xs_volume_mountPartition";
export function unmount() @ "xs_volume_unmount";
export function mounted() @ "xs_volume_mounted";

function fillInfo(info) @ "xs_volume_info";
function fillStat(path, entry) @ "xs_volume_stat";
function fillNext(directory, entry) @ "xs_volume_directory_read";

export function mkdir(path) @ "xs_volume_mkdir";
export function rmdir(path) @ "xs_volume_rmdir";
export function remove(path) @ "xs_volume_remove";
export function rename(from, to) @ "xs_volume_rename";
export function setTime(path, mtime) @ "xs_volume_setTime";

function newEntry() {
	return {name: "", size: 0, mtime: 0, directory: false};
}

export function info() {
	const result = {kind: "", total: 0, used: 0, blockSize: 0, maxPathLength: 0};
	fillInfo(result);
	return result;
}

export function stat(path) {
	const entry = newEntry();
	return fillStat(path, entry) ? entry : undefined;
}

export class Directory @ "xs_volume_directory_destructor" {
	constructor(path) @ "xs_volume_directory";
	next() {
		const entry = newEntry();
		return fillNext(this, entry) ? entry : undefined;
	}
	close() @ "xs_volume_directory_close";
}

export class FileHandle @ "xs_volume_file_destructor" {
	constructor(path, mode) @ "xs_volume_file";
	read(buffer) @ "xs_volume_file_read";
	write(data) @ "xs_volume_file_write";
	get position() @ "xs_volume_file_get_position";
	set position(value) @ "xs_volume_file_set_position";
	get size() @ "xs_volume_file_get_size";
	close() @ "xs_volume_file_close";
}
