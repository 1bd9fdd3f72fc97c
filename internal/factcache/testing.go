package factcache

// WithVersionForTest returns a copy of a pack as a binary of another
// version would have written it, so a test can show such a pack is never
// read.
func WithVersionForTest(pack []byte, version string) []byte {
	if len(pack) < headerLen {
		return pack
	}
	out := append([]byte(nil), pack...)
	v := versionKey(version)
	copy(out[4:headerLen], v[:])
	return out
}
