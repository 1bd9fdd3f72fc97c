package project

// ExpectedPatched reports whether p's expected outputs were derived from an
// earlier snapshot's instead of computed afresh.
func ExpectedPatched(p *Project) bool {
	p.Expected()
	return p.m().expectedPatched
}
