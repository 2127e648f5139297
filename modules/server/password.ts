/*
 * The generated password of the secure default (server/api.ts), from the platform's random bytes.
 */

/** A password of 12 letters and digits, without the look-alikes (0/O, 1/l/I). */
export function makePassword(randomByte: () => number): string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	let password = "";
	while (password.length < 12) {
		const byte = randomByte() & 0xFF;
		// 57 letters: take bytes below 4 × 57 only, so that no letter is likelier than another
		if (byte < 4 * alphabet.length)
			password += alphabet[byte % alphabet.length];
	}
	return password;
}
