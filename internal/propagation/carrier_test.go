package propagation

import (
	"errors"
	"strings"
)

// carrier is a multi-valued map keyed as written, like an http.Header
// without the canonicalisation.
type carrier struct {
	keys []string
	vals map[string][]string
}

func newCarrier(kv ...string) *carrier {
	c := &carrier{vals: map[string][]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		c.add(kv[i], kv[i+1])
	}
	return c
}

func (c *carrier) add(k, v string) {
	if _, ok := c.vals[k]; !ok {
		c.keys = append(c.keys, k)
	}
	c.vals[k] = append(c.vals[k], v)
}

func (c *carrier) Set(k, v string) {
	if _, ok := c.vals[k]; !ok {
		c.keys = append(c.keys, k)
	}
	c.vals[k] = []string{v}
}

func (c *carrier) get(k string) string {
	for _, key := range c.keys {
		if strings.EqualFold(key, k) {
			return c.vals[key][0]
		}
	}
	return ""
}

func (c *carrier) ForeachKey(h func(k, v string) error) error {
	for _, k := range c.keys {
		for _, v := range c.vals[k] {
			if err := h(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

type failingReader struct{}

var errReader = errors.New("reader failed")

func (failingReader) ForeachKey(func(k, v string) error) error { return errReader }

func bagMap(ms []Member) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		out[m.Key] = m.Value
	}
	return out
}
