// rategen: an open-loop HTTP/1.1 GET load at a fixed rate, for latency measured on the same
// machine as the server (benchmark B6, docs/performance.md "B6: the generator"). Request n is
// due at start + n/rate; its latency counts from when it was due, so waiting for a free
// keep-alive connection, or a generator that fell behind, shows as latency. It does as little
// per request as it can (one write, one read, no allocation once warm) so that it takes little
// of the cores it shares with the nodes it measures.
//
// Output, one line per request after the warm-up: due offset (µs from the start), latency (µs),
// status (0 on a transport error), and the error text (empty when none), tab-separated.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type result struct {
	dueUs     int64
	latencyUs int64
	status    int
	err       string
}

type job struct {
	index int
	due   time.Time
}

func main() {
	// First of all, so that a stop sent at any moment after "ready" ends the run with its results
	// written; before it, a SIGINT would kill the process (Go's default).
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	fmt.Println("ready")
	addr := flag.String("addr", "", "host:port of the server")
	rate := flag.Float64("rate", 1000, "requests per second")
	duration := flag.Duration("duration", 10*time.Second, "how long to send (SIGINT ends it earlier)")
	conns := flag.Int("connections", 50, "keep-alive connections at most")
	targets := flag.String("targets", "", "file of requests, one per line: path, a tab, X-Real-IP (may be empty)")
	output := flag.String("output", "", "results file")
	timeout := flag.Duration("timeout", 10*time.Second, "per request")
	warmup := flag.Duration("warmup", 0, "requests due in this first part are sent but not recorded (connections open, the generator settles)")
	flag.Parse()
	if *addr == "" || *targets == "" || *output == "" || *rate <= 0 || *conns <= 0 {
		fmt.Fprintln(os.Stderr, "rategen: -addr, -targets and -output are required; -rate and -connections must be positive")
		os.Exit(2)
	}
	requests, err := readTargets(*targets, *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rategen:", err)
		os.Exit(2)
	}
	total := int(*rate * duration.Seconds())
	results := make([]result, 0, total)
	var mu sync.Mutex

	jobs := make(chan job, total+1)
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < *conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{addr: *addr, timeout: *timeout}
			for j := range jobs {
				status, err := w.do(requests[j.index%len(requests)])
				if j.due.Sub(start) < *warmup {
					continue
				}
				r := result{dueUs: j.due.Sub(start).Microseconds(), latencyUs: time.Since(j.due).Microseconds(), status: status}
				if err != nil {
					r.err = strings.NewReplacer("\t", " ", "\n", " ").Replace(err.Error())
				}
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
			}
			w.close()
		}()
	}

	interval := time.Duration(float64(time.Second) / *rate)
	timer := time.NewTimer(time.Hour)
send:
	for n := 0; n < total; n++ {
		due := start.Add(time.Duration(n) * interval)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-stop:
				break send
			case <-timer.C:
			}
		} else {
			select {
			case <-stop:
				break send
			default:
			}
		}
		jobs <- job{index: n, due: due}
	}
	close(jobs)
	wg.Wait()
	if err := writeResults(*output, results); err != nil {
		fmt.Fprintln(os.Stderr, "rategen:", err)
		os.Exit(1)
	}
}

func readTargets(path, addr string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var requests [][]byte
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" {
			continue
		}
		target, ip, _ := strings.Cut(line, "\t")
		var b strings.Builder
		fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", target, addr)
		if ip != "" {
			fmt.Fprintf(&b, "X-Real-IP: %s\r\n", ip)
		}
		b.WriteString("\r\n")
		requests = append(requests, []byte(b.String()))
	}
	if len(requests) == 0 {
		return nil, errors.New("no requests in " + path)
	}
	return requests, nil
}

type worker struct {
	addr    string
	timeout time.Duration
	conn    net.Conn
	reader  *bufio.Reader
}

func (w *worker) close() {
	if w.conn != nil {
		w.conn.Close()
		w.conn = nil
	}
}

// do sends one request on the worker's connection (opened when it has none) and reads the answer.
func (w *worker) do(request []byte) (int, error) {
	if w.conn == nil {
		conn, err := net.DialTimeout("tcp", w.addr, w.timeout)
		if err != nil {
			return 0, err
		}
		w.conn = conn
		w.reader = bufio.NewReaderSize(conn, 4096)
	}
	w.conn.SetDeadline(time.Now().Add(w.timeout))
	if _, err := w.conn.Write(request); err != nil {
		w.close()
		return 0, err
	}
	status, closing, err := readResponse(w.reader)
	if err != nil {
		w.close()
		return 0, err
	}
	if closing {
		w.close()
	}
	return status, nil
}

var contentLength = []byte("content-length:")
var connectionClose = []byte("connection: close")
var chunked = []byte("transfer-encoding: chunked")

// readResponse reads one answer (the status line, the headers, a Content-Length body) and
// whether the server closes the connection after it.
func readResponse(r *bufio.Reader) (int, bool, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	length := 0
	closing := false
	isChunked := false
	for {
		header, err := r.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		if len(header) <= 2 {
			break
		}
		lower := bytes.ToLower(bytes.TrimSpace(header))
		if bytes.HasPrefix(lower, contentLength) {
			length, err = strconv.Atoi(string(bytes.TrimSpace(lower[len(contentLength):])))
			if err != nil {
				return 0, false, fmt.Errorf("bad Content-Length %q", header)
			}
		} else if bytes.Equal(lower, connectionClose) {
			closing = true
		} else if bytes.Equal(lower, chunked) {
			isChunked = true
		}
	}
	if isChunked {
		return status, closing, discardChunks(r)
	}
	if _, err := r.Discard(length); err != nil {
		return 0, false, err
	}
	return status, closing, nil
}

// discardChunks reads a chunked body to its end (the last chunk and the empty trailer).
func discardChunks(r *bufio.Reader) error {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		sizeText, _, _ := bytes.Cut(bytes.TrimSpace(line), []byte(";"))
		size, err := strconv.ParseInt(string(sizeText), 16, 64)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			for {
				trailer, err := r.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(trailer) <= 2 {
					return nil
				}
			}
		}
		if _, err := r.Discard(int(size) + 2); err != nil {
			return err
		}
	}
}

func writeResults(path string, results []result) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(file)
	for _, r := range results {
		fmt.Fprintf(out, "%d\t%d\t%d\t%s\n", r.dueUs, r.latencyUs, r.status, r.err)
	}
	if err := out.Flush(); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}
