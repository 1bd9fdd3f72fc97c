package project

// ExpectedPatched reports whether p's expected outputs were derived from an
// earlier snapshot's instead of computed afresh.
func ExpectedPatched(p *Project) bool {
	p.Expected()
	return p.m().expectedPatched
}

// FreshExpected computes p's expected outputs afresh, with the entry model
// p.Expected() holds, ignoring any earlier snapshot.
func FreshExpected(p *Project) *Expected {
	return p.freshExpected(p.Expected().Entry)
}
