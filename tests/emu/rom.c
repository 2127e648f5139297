/*
 * What the ESP8266's mask ROM provides to every firmware and Debian's libgcc for the lx106
 * leaves out: integer division (the lx106 has no divider), 64-bit multiplication and the
 * double-precision arithmetic and conversions. The ESP8266 core's linker script
 * (eagle.rom.addr.v6.ld) points them at ROM addresses; the emulated board has no ROM, so the
 * ones the suites need are written here, with shifts, subtractions and 32-bit multiplications
 * only (anything else would call themselves). __modsi3, __moddi3, __udivmoddi4, __floatundidf
 * and the double comparisons do come with Debian's libgcc.
 */
#include <stdint.h>

uint32_t __udivsi3(uint32_t dividend, uint32_t divisor);
uint32_t __umodsi3(uint32_t dividend, uint32_t divisor);
int32_t __divsi3(int32_t dividend, int32_t divisor);
uint64_t __muldi3(uint64_t a, uint64_t b);
uint64_t __udivmoddi4(uint64_t dividend, uint64_t divisor, uint64_t *remainder);
uint64_t __udivdi3(uint64_t dividend, uint64_t divisor);
uint64_t __umoddi3(uint64_t dividend, uint64_t divisor);
int64_t __divdi3(int64_t dividend, int64_t divisor);
uint64_t __umulsidi3(uint32_t a, uint32_t b);
double __floatsidf(int32_t value);
double __floatunsidf(uint32_t value);
int32_t __fixdfsi(double value);
uint32_t __fixunsdfsi(double value);
double __muldf3(double a, double b);
double __adddf3(double a, double b);
double __subdf3(double a, double b);

// Restoring division, one quotient bit per step. Division by zero gives an all-ones quotient.
static uint32_t divide(uint32_t dividend, uint32_t divisor, uint32_t *remainder)
{
	uint32_t quotient = 0, rest = 0;
	int bit;

	if (0 == divisor) {
		*remainder = dividend;
		return 0xFFFFFFFF;
	}
	for (bit = 31; bit >= 0; bit--) {
		rest = (rest << 1) | ((dividend >> bit) & 1);
		if (rest >= divisor) {
			rest -= divisor;
			quotient |= (uint32_t)1 << bit;
		}
	}
	*remainder = rest;
	return quotient;
}

uint32_t __udivsi3(uint32_t dividend, uint32_t divisor)
{
	uint32_t remainder;

	return divide(dividend, divisor, &remainder);
}

uint32_t __umodsi3(uint32_t dividend, uint32_t divisor)
{
	uint32_t remainder;

	divide(dividend, divisor, &remainder);
	return remainder;
}

int32_t __divsi3(int32_t dividend, int32_t divisor)
{
	uint32_t remainder, quotient;
	uint32_t a = (dividend < 0) ? (0 - (uint32_t)dividend) : (uint32_t)dividend;
	uint32_t b = (divisor < 0) ? (0 - (uint32_t)divisor) : (uint32_t)divisor;

	quotient = divide(a, b, &remainder);
	return ((dividend < 0) != (divisor < 0)) ? (int32_t)(0 - quotient) : (int32_t)quotient;
}

// 32 × 32 → 64 from four 16 × 16 → 32 products.
static uint64_t multiplyWide(uint32_t a, uint32_t b)
{
	uint32_t al = a & 0xFFFF, ah = a >> 16, bl = b & 0xFFFF, bh = b >> 16;
	uint32_t low = al * bl, middle1 = al * bh, middle2 = ah * bl, high = ah * bh;
	uint32_t carry = 0, sum;

	sum = low + (middle1 << 16);
	carry += sum < low;
	low = sum;
	sum = low + (middle2 << 16);
	carry += sum < low;
	low = sum;
	high += (middle1 >> 16) + (middle2 >> 16) + carry;
	return ((uint64_t)high << 32) | low;
}

// libgcc's __udivmoddi4 calls it
uint64_t __umulsidi3(uint32_t a, uint32_t b)
{
	return multiplyWide(a, b);
}

uint64_t __muldi3(uint64_t a, uint64_t b)
{
	uint32_t al = (uint32_t)a, ah = (uint32_t)(a >> 32), bl = (uint32_t)b, bh = (uint32_t)(b >> 32);
	uint64_t result = multiplyWide(al, bl);

	return result + ((uint64_t)((al * bh) + (ah * bl)) << 32);
}

uint64_t __udivdi3(uint64_t dividend, uint64_t divisor)
{
	return __udivmoddi4(dividend, divisor, (uint64_t *)0);
}

uint64_t __umoddi3(uint64_t dividend, uint64_t divisor)
{
	uint64_t remainder;

	__udivmoddi4(dividend, divisor, &remainder);
	return remainder;
}

int64_t __divdi3(int64_t dividend, int64_t divisor)
{
	uint64_t a = (dividend < 0) ? (0 - (uint64_t)dividend) : (uint64_t)dividend;
	uint64_t b = (divisor < 0) ? (0 - (uint64_t)divisor) : (uint64_t)divisor;
	uint64_t quotient = __udivmoddi4(a, b, (uint64_t *)0);

	return ((dividend < 0) != (divisor < 0)) ? (int64_t)(0 - quotient) : (int64_t)quotient;
}

/*
	Doubles (IEEE 754 binary64, round to nearest even). A value in flight is a sign, a biased
	exponent `e` and a significand `m` with its leading 1 at bit 62: m / 2^62 × 2^(e - 1023).
*/

#define kSign ((uint64_t)1 << 63)
#define kFraction (((uint64_t)1 << 52) - 1)
#define kInfinity ((uint64_t)0x7FF << 52)
#define kNaN ((uint64_t)0x7FF8 << 48)

typedef union {
	double value;
	uint64_t bits;
} Double;

static double fromBits(uint64_t bits)
{
	Double d;

	d.bits = bits;
	return d.value;
}

static uint64_t toBits(double value)
{
	Double d;

	d.value = value;
	return d.bits;
}

static int leadingBit(uint64_t m)
{
	int bit = 63;

	while (!(m & ((uint64_t)1 << bit)))
		bit--;
	return bit;
}

// Rounds and encodes; `sticky`: bits below m were lost and not all zero.
static double pack(uint64_t sign, int32_t e, uint64_t m, int sticky)
{
	uint64_t q, rest;

	if (e > 0x7FE)
		return fromBits(sign | kInfinity);
	if (e <= 0) {		// subnormal: fewer significant bits
		int32_t shift = 1 - e;

		if (shift > 63) {
			sticky |= (0 != m);
			m = 0;
		}
		else {
			sticky |= 0 != (m & ((((uint64_t)1) << shift) - 1));
			m >>= shift;
		}
		e = 1;
	}
	q = m >> 10;
	rest = (m & 0x3FF) | (sticky ? 1 : 0);
	if ((rest > 0x200) || ((0x200 == rest) && (q & 1)))
		q++;
	// q includes the leading 1 (2^52), which adds 1 to the exponent field; a carry out of
	// rounding moves into the exponent the same way (to infinity at the top)
	q += (uint64_t)(e - 1) << 52;
	if (q >= kInfinity)
		return fromBits(sign | kInfinity);
	return fromBits(sign | q);
}

// A finite nonzero double's exponent and significand (leading 1 at bit 62).
static void unpack(uint64_t bits, int32_t *e, uint64_t *m)
{
	int32_t exponent = (int32_t)((bits >> 52) & 0x7FF);
	uint64_t fraction = bits & kFraction;

	if (exponent)
		fraction |= (uint64_t)1 << 52;
	else
		exponent = 1;		// subnormal: no leading 1
	*m = fraction << 10;
	*e = exponent;
	while (!(*m & ((uint64_t)1 << 62))) {
		*m <<= 1;
		(*e)--;
	}
}

double __floatunsidf(uint32_t value)
{
	int bit;

	if (!value)
		return fromBits(0);
	bit = leadingBit(value);
	return pack(0, 1023 + bit, (uint64_t)value << (62 - bit), 0);
}

double __floatsidf(int32_t value)
{
	uint32_t magnitude = (value < 0) ? (0 - (uint32_t)value) : (uint32_t)value;
	double result = __floatunsidf(magnitude);

	return (value < 0) ? fromBits(toBits(result) | kSign) : result;
}

// Truncates toward zero; out of range saturates, NaN is 0.
uint32_t __fixunsdfsi(double value)
{
	uint64_t bits = toBits(value), m = (bits & kFraction) | ((uint64_t)1 << 52);
	int32_t e = (int32_t)((bits >> 52) & 0x7FF) - 1023;

	if ((bits & kSign) || (e < 0) || (((bits & ~kSign) > kInfinity)))
		return 0;
	if (e > 31)
		return 0xFFFFFFFF;
	return (uint32_t)(m >> (52 - e));
}

int32_t __fixdfsi(double value)
{
	uint64_t bits = toBits(value), m = (bits & kFraction) | ((uint64_t)1 << 52);
	int32_t e = (int32_t)((bits >> 52) & 0x7FF) - 1023;
	uint32_t magnitude;

	if (((bits & ~kSign) > kInfinity) || (e < 0))
		return 0;
	if (e > 30)
		return (bits & kSign) ? (int32_t)0x80000000 : 0x7FFFFFFF;
	magnitude = (uint32_t)(m >> (52 - e));
	return (bits & kSign) ? (int32_t)(0 - magnitude) : (int32_t)magnitude;
}

double __muldf3(double a, double b)
{
	uint64_t x = toBits(a), y = toBits(b), sign = (x ^ y) & kSign, mx, my, high, low, cross1, cross2, sum;
	int32_t ex, ey, e;
	int sticky;

	if (((x & ~kSign) > kInfinity) || ((y & ~kSign) > kInfinity))
		return fromBits(kNaN);
	if (((x & ~kSign) == kInfinity) || ((y & ~kSign) == kInfinity))
		return fromBits((!(x & ~kSign) || !(y & ~kSign)) ? kNaN : (sign | kInfinity));		// ∞ × 0 is NaN
	if (!(x & ~kSign) || !(y & ~kSign))
		return fromBits(sign);
	unpack(x, &ex, &mx);
	unpack(y, &ey, &my);
	mx <<= 1;			// leading 1 at bit 63: the 128-bit product's at 126 or 127
	my <<= 1;
	low = multiplyWide((uint32_t)mx, (uint32_t)my);
	cross1 = multiplyWide((uint32_t)(mx >> 32), (uint32_t)my);
	cross2 = multiplyWide((uint32_t)mx, (uint32_t)(my >> 32));
	high = multiplyWide((uint32_t)(mx >> 32), (uint32_t)(my >> 32));
	sum = (low >> 32) + (uint32_t)cross1 + (uint32_t)cross2;		// at most 3 × (2^32 - 1)
	low = (low & 0xFFFFFFFF) | (sum << 32);
	high += (cross1 >> 32) + (cross2 >> 32) + (sum >> 32);
	sticky = 0 != low;
	e = ex + ey - 1023;
	if (high & kSign) {
		sticky |= (int)(high & 1);
		high >>= 1;
		e++;
	}
	return pack(sign, e, high, sticky);
}

double __adddf3(double a, double b)
{
	uint64_t x = toBits(a), y = toBits(b), mx, my, t;
	int32_t ex, ey, shift;
	int sticky = 0;

	if (((x & ~kSign) > kInfinity) || ((y & ~kSign) > kInfinity))
		return fromBits(kNaN);
	if ((x & ~kSign) == kInfinity)
		return fromBits((((y & ~kSign) == kInfinity) && ((x ^ y) & kSign)) ? kNaN : x);		// ∞ - ∞ is NaN
	if ((y & ~kSign) == kInfinity)
		return fromBits(y);
	if (!(x & ~kSign))
		return fromBits((!(y & ~kSign)) ? (x & y) : y);		// -0 + -0 is -0, else +0
	if (!(y & ~kSign))
		return fromBits(x);
	if ((x & ~kSign) < (y & ~kSign)) {		// x has the larger magnitude
		t = x;
		x = y;
		y = t;
	}
	unpack(x, &ex, &mx);
	unpack(y, &ey, &my);
	mx >>= 1;			// leading 1 at bit 61: room for the carry of a sum
	my >>= 1;
	ex++;
	ey++;
	shift = ex - ey;
	if (shift > 63) {
		sticky = 1;
		my = 0;
	}
	else if (shift) {
		sticky = 0 != (my & ((((uint64_t)1) << shift) - 1));
		my >>= shift;
	}
	if ((x ^ y) & kSign) {
		mx -= my + (sticky ? 1 : 0);		// the lost bits borrow one
		if (!mx && !sticky)
			return fromBits(0);				// exact cancellation is +0
	}
	else
		mx += my;
	// normalize to bit 62
	if (mx & kSign) {
		sticky |= (int)(mx & 1);
		mx >>= 1;
		ex++;
	}
	while (!(mx & ((uint64_t)1 << 62))) {
		mx <<= 1;
		ex--;
	}
	return pack(x & kSign, ex, mx, sticky);
}

double __subdf3(double a, double b)
{
	return __adddf3(a, fromBits(toBits(b) ^ kSign));
}
