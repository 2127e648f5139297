/*
 * LIST and NLST arguments: clients send `ls` options ("-a", "-la"), which are accepted and
 * ignored (CLIENTS.md rule 3), optionally followed by a path that may contain spaces.
 */
export function splitListArgument(argument: string): {options: string; path: string} {
	let rest = argument.trim();
	let options = "";
	while (rest.startsWith("-")) {
		const space = rest.indexOf(" ");
		options += (space < 0) ? rest : rest.slice(0, space);
		rest = (space < 0) ? "" : rest.slice(space + 1).trimStart();
	}
	return {options, path: rest};
}
