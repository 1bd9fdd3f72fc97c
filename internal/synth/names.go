package synth

import (
	"strings"
	"unicode"
)

// nouns are plugin names (plural, as projects name plugins after what they
// hold) with their singular. None is a core event namespace (workflow, job,
// process, cron, log), so user events never merge into a core block.
var nouns = [][2]string{
	{"accounts", "account"}, {"addresses", "address"}, {"articles", "article"},
	{"attachments", "attachment"}, {"bookings", "booking"}, {"campaigns", "campaign"},
	{"carts", "cart"}, {"categories", "category"}, {"comments", "comment"},
	{"contacts", "contact"}, {"coupons", "coupon"}, {"customers", "customer"},
	{"deliveries", "delivery"}, {"devices", "device"}, {"documents", "document"},
	{"employees", "employee"}, {"favorites", "favorite"}, {"invoices", "invoice"},
	{"leads", "lead"}, {"licenses", "license"}, {"locations", "location"},
	{"messages", "message"}, {"notifications", "notification"}, {"payments", "payment"},
	{"playlists", "playlist"}, {"products", "product"}, {"projects", "project"},
	{"quotes", "quote"}, {"refunds", "refund"}, {"reports", "report"},
	{"reservations", "reservation"}, {"reviews", "review"}, {"rooms", "room"},
	{"shipments", "shipment"}, {"subscriptions", "subscription"}, {"suppliers", "supplier"},
	{"tags", "tag"}, {"tasks", "task"}, {"teams", "team"},
	{"tickets", "ticket"}, {"vendors", "vendor"}, {"warehouses", "warehouse"},
	{"webhooks", "webhook"}, {"wishlists", "wishlist"}, {"members", "member"},
}

// routerSuffixes name the second, third, ... router of one plugin.
var routerSuffixes = []string{"", "Admin", "Reports", "Public", "Ops", "Internal", "Partners", "Exports"}

// upperFirst capitalises the first byte (names here are ASCII).
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// camelFromSnake is kysely's CamelCasePlugin conversion: underscores go,
// the character after one is upper-cased.
func camelFromSnake(s string) string {
	var b strings.Builder
	up := false
	for _, r := range s {
		if r == '_' {
			up = true
			continue
		}
		if up {
			b.WriteRune(unicode.ToUpper(r))
			up = false
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// kyselyPascal is how kysely-codegen names a table's interface.
func kyselyPascal(table string) string { return upperFirst(camelFromSnake(table)) }

// serverPascal is @donkeylabs/server/generator's toPascalCase: split on
// - _ . and capitalise each part.
func serverPascal(s string) string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(upperFirst(p))
	}
	return b.String()
}

// serverCamel is @donkeylabs/server/generator's toCamelCase.
func serverCamel(s string) string {
	p := serverPascal(s)
	if p == "" {
		return p
	}
	return strings.ToLower(p[:1]) + p[1:]
}

// cliPascal is the CLI's own toPascalCase (events.ts): "-x" becomes "X" and
// the first character is capitalised; underscores stay.
func cliPascal(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '-' && i+1 < len(s) && s[i+1] >= 'a' && s[i+1] <= 'z' {
			b.WriteByte(s[i+1] - 'a' + 'A')
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return upperFirst(b.String())
}

// localeLess approximates JavaScript's String.prototype.localeCompare (ICU
// root collation) for the identifiers kysely-codegen sorts: '_' sorts
// before digits, digits before letters, letters case-insensitively with
// lower case first on a tie.
func localeLess(a, b string) bool {
	rank := func(c byte) (int, byte) {
		switch {
		case c == '_':
			return 0, c
		case c >= '0' && c <= '9':
			return 1, c
		case c >= 'a' && c <= 'z':
			return 2, c
		case c >= 'A' && c <= 'Z':
			return 2, c - 'A' + 'a'
		}
		return 3, c
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		ra, ca := rank(a[i])
		rb, cb := rank(b[i])
		if ra != rb {
			return ra < rb
		}
		if ca != cb {
			return ca < cb
		}
	}
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	// Tertiary difference: lower case before upper case.
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] {
			return a[i] >= 'a' && a[i] <= 'z'
		}
	}
	return false
}
