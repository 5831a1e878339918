package propagation

import (
	"strings"
)

// W3C baggage, https://www.w3.org/TR/baggage/, and what any format's baggage
// must satisfy to be passed on.

const headerBaggage = "baggage"

// IsToken reports whether s is a non-empty RFC 9110 token: what an HTTP header
// name (uberctx-<key>) and a W3C baggage key must be. A baggage key that is
// not one could not be written to the next carrier.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return true
}

func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// SafeValue reports whether a baggage value can be written raw, as Jaeger's
// TextMap form writes uberctx-* values: no control characters (a carrier such
// as message properties has no escaping for them).
func SafeValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// isBaggageOctet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E.
func isBaggageOctet(c byte) bool {
	return c == 0x21 || 0x23 <= c && c <= 0x2b || 0x2d <= c && c <= 0x3a || 0x3c <= c && c <= 0x5b || 0x5d <= c && c <= 0x7e
}

// baggageSet accumulates baggage from several sources within the limits. The
// first source to name a key wins. Jaeger's uberctx-* keys arrive lower-cased
// (header names are case-insensitive; jaeger-client-go lower-cases them on
// every carrier), W3C baggage keys keep their case: a lower-cased key and a
// W3C key equal but for case are one item, spelled as W3C spells it, else an
// item "A" crossing a hop in both formats would come back as "A" and "a".
type baggageSet struct {
	members []Member
	folded  [(MaxBaggageMembers + 63) / 64]uint64 // bit i: members[i].Key was lower-cased on the way
	bytes   int
	problem Problem
}

// add keeps m if its key can be written to the next carrier and the limits
// allow. folded says m.Key was lower-cased by its format. It reports false
// once the set is full. Values are not checked here: every encoding that
// needs it escapes them, and a raw TextMap one leaves out what it cannot
// carry (see SafeValue).
func (s *baggageSet) add(m Member, folded bool) bool {
	if !IsToken(m.Key) {
		s.problem |= BaggageUnsafe
		return true
	}
	size := len(m.Key) + len(m.Value)
	if size > MaxBaggageMemberLen {
		s.problem |= BaggageOverLimit
		return true
	}
	for i, o := range s.members {
		if o.Key == m.Key {
			return true
		}
		if (folded || s.isFolded(i)) && strings.EqualFold(o.Key, m.Key) {
			if !folded {
				s.members[i].Key = m.Key
				s.folded[i/64] &^= 1 << (i % 64)
			}
			return true
		}
	}
	if len(s.members) >= MaxBaggageMembers || s.bytes+size > MaxBaggageBytes {
		s.problem |= BaggageOverLimit
		return false
	}
	s.bytes += size
	s.members = append(s.members, m)
	if folded {
		i := len(s.members) - 1
		s.folded[i/64] |= 1 << (i % 64)
	}
	return true
}

func (s *baggageSet) isFolded(i int) bool { return s.folded[i/64]&(1<<(i%64)) != 0 }

// ParseBaggage reads a W3C baggage value (several headers joined with ",").
// Members that are malformed, badly percent-encoded, or unsafe to pass on are
// dropped; members past the limits are dropped; each with its Problem.
func ParseBaggage(v string) ([]Member, Problem) {
	var s baggageSet
	parseBaggageInto(v, &s)
	return s.members, s.problem
}

func parseBaggageInto(v string, s *baggageSet) {
	if len(v) > maxHeaderLen {
		s.problem |= BaggageOverLimit
		v = v[:maxHeaderLen] // the members before the cut still count
		if i := strings.LastIndexByte(v, ','); i >= 0 {
			v = v[:i]
		} else {
			return
		}
	}
	for rest, more := v, true; more; {
		var raw string
		raw, rest, more = strings.Cut(rest, ",")
		raw = trimOWS(raw)
		if raw == "" {
			continue
		}
		m, ok := parseBaggageMember(raw)
		if !ok {
			s.problem |= BaggageInvalid
			continue
		}
		if !s.add(m, false) {
			return
		}
	}
}

// parseBaggageMember parses key OWS "=" OWS value *(OWS ";" OWS property).
func parseBaggageMember(raw string) (Member, bool) {
	kv, props, _ := strings.Cut(raw, ";")
	k, val, ok := strings.Cut(kv, "=")
	if !ok {
		return Member{}, false
	}
	k, val = trimOWS(k), trimOWS(val)
	if !IsToken(k) {
		return Member{}, false
	}
	for i := 0; i < len(val); i++ {
		if !isBaggageOctet(val[i]) {
			return Member{}, false
		}
	}
	dec, ok := percentDecode(val)
	if !ok {
		return Member{}, false
	}
	props = trimOWS(props)
	if !validProperties(props) {
		return Member{}, false
	}
	return Member{Key: k, Value: dec, Properties: props}, true
}

func validProperties(p string) bool {
	for i := 0; i < len(p); i++ {
		if c := p[i]; !isBaggageOctet(c) && c != ';' && c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// percentDecode decodes %XX escapes (no '+' for space: that is a form
// encoding, not the baggage one).
func percentDecode(s string) (string, bool) {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		h, ok1 := unhex(s[i+1])
		l, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		b = append(b, h<<4|l)
		i += 2
	}
	return string(b), true
}

// appendPercentEncoded writes v with every byte that is not a baggage-octet,
// and '%', percent-encoded.
func appendPercentEncoded(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		// '+' is a legal octet, but OpenTelemetry Python decodes baggage
		// with unquote_plus, which would read it as a space.
		if isBaggageOctet(c) && c != '%' && c != '+' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&0xf])
	}
	return b
}

// FormatBaggage writes members as a W3C baggage value, values
// percent-encoded. Members whose key is not a token (BaggageUnsafe), and
// members past the limits (BaggageOverLimit) are left out. It returns "" when
// nothing is left.
func FormatBaggage(members []Member) (string, Problem) {
	var p Problem
	var b []byte
	n := 0
	for _, m := range members {
		if !IsToken(m.Key) {
			p |= BaggageUnsafe
			continue
		}
		if len(m.Key)+len(m.Value) > MaxBaggageMemberLen || n >= MaxBaggageMembers {
			p |= BaggageOverLimit
			continue
		}
		mark := len(b)
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, m.Key...)
		b = append(b, '=')
		b = appendPercentEncoded(b, m.Value)
		if m.Properties != "" && validProperties(m.Properties) {
			b = append(b, ';')
			b = append(b, m.Properties...)
		}
		if len(b) > MaxBaggageBytes {
			b = b[:mark]
			p |= BaggageOverLimit
			continue
		}
		n++
	}
	return string(b), p
}
