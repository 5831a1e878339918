//go:build ignore

// Command ready checks over RocketMQ's remoting protocol that a broker is
// registered in the name server and answers itself; it exits 0 when both hold
// and prints nothing. scripts/services.d/rocketmq.sh builds it at install and
// polls it for readiness:
//
//	ready [-namesrv 127.0.0.1:9876] [-broker 127.0.0.1:10911]
package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// Request codes of the remoting protocol (org.apache.rocketmq.common.protocol.RequestCode).
const (
	getBrokerConfig      = 26
	getBrokerClusterInfo = 106
)

// call sends one JSON-serialised request and returns the response's code and body.
// Frame: total length, serialise type (1 byte) + header length (3 bytes), header, body.
func call(addr string, code int) (int, []byte, error) {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return 0, nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Second))

	header, _ := json.Marshal(map[string]any{
		"code": code, "language": "GO", "version": 317, "opaque": 1, "flag": 0,
		"serializeTypeCurrentRPC": "JSON",
	})
	frame := make([]byte, 8, 8+len(header))
	binary.BigEndian.PutUint32(frame[0:], uint32(4+len(header)))
	binary.BigEndian.PutUint32(frame[4:], uint32(len(header))) // serialise type 0: JSON
	if _, err := conn.Write(append(frame, header...)); err != nil {
		return 0, nil, err
	}

	var pre [8]byte
	if _, err := io.ReadFull(conn, pre[:]); err != nil {
		return 0, nil, err
	}
	total := binary.BigEndian.Uint32(pre[0:])
	hlen := binary.BigEndian.Uint32(pre[4:]) & 0xFFFFFF
	if pre[4] != 0 || total < 4+hlen || total > 16<<20 {
		return 0, nil, errors.New("unexpected response frame")
	}
	rest := make([]byte, total-4)
	if _, err := io.ReadFull(conn, rest); err != nil {
		return 0, nil, err
	}
	var h struct{ Code int }
	if err := json.Unmarshal(rest[:hlen], &h); err != nil {
		return 0, nil, err
	}
	return h.Code, rest[hlen:], nil
}

func check(namesrv, broker string) error {
	code, body, err := call(namesrv, getBrokerClusterInfo)
	if err != nil {
		return fmt.Errorf("name server %s: %w", namesrv, err)
	}
	// The body is fastjson with integer map keys, not strict JSON: look for the address.
	if code != 0 || !bytes.Contains(body, []byte(`"`+broker+`"`)) {
		return fmt.Errorf("broker %s not registered in name server %s (code %d)", broker, namesrv, code)
	}
	if code, _, err = call(broker, getBrokerConfig); err != nil || code != 0 {
		return fmt.Errorf("broker %s: code %d, %v", broker, code, err)
	}
	return nil
}

func main() {
	namesrv := flag.String("namesrv", "127.0.0.1:9876", "name server host:port")
	broker := flag.String("broker", "127.0.0.1:10911", "broker host:port as registered")
	verbose := flag.Bool("v", false, "print why it is not ready")
	flag.Parse()
	if err := check(*namesrv, *broker); err != nil {
		if *verbose {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(1)
	}
}
