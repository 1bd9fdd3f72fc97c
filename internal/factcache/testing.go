package factcache

// WithVersionForTest returns a copy of an entry as a binary of another
// version would have written it, checksum intact, so a test can show such
// an entry is never read.
func WithVersionForTest(entry []byte, version string) []byte {
	if len(entry) < 4+32+4 {
		return entry
	}
	c := &Cache{version: versionKey(version)}
	out := append([]byte(nil), entry...)
	copy(out[4:36], c.version[:])
	body := out[:len(out)-4]
	sum := crcOf(body)
	out[len(out)-4], out[len(out)-3], out[len(out)-2], out[len(out)-1] = byte(sum), byte(sum>>8), byte(sum>>16), byte(sum>>24)
	return out
}
