/* Built outside the SDK (tests/lfsprog.test.js): the MODDEF_ settings come from cc's -D. */
