package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/donkeyls/donkeyls/internal/testenv"
)

// A person who types `donkeyls` in a terminal learns on stderr that it is a
// language server waiting on stdin and how to get help; it then serves LSP
// on that terminal as it does on an editor's pipe.
func TestBareDonkeylsOnATerminalSaysWhatItIs(t *testing.T) {
	master, slave := openPTY(t)
	srv := startServer(t, slave)
	slave.Close() // the child holds its own copy

	hint := srv.waitStderr(t, `run "donkeyls help"`)
	for _, want := range []string{"language server", "waiting for LSP messages on stdin", "Ctrl-C"} {
		if !strings.Contains(hint, want) {
			t.Errorf("the terminal hint lacks %q:\n%s", want, hint)
		}
	}
	speakLSP(t, master, srv)
	if bytes.Contains(srv.stdoutBytes(), []byte("language server")) {
		t.Error("the hint went to stdout, where only protocol belongs")
	}
}

// Editors connect a pipe: no hint, nothing but the protocol.
func TestServeOnAPipeSaysNothing(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, r)
	r.Close()
	speakLSP(t, w, srv)
	if got := srv.stderrString(); got != "" {
		t.Errorf("stderr on a pipe: %q", got)
	}
}

type server struct {
	cmd    *exec.Cmd
	stdout *bufio.Reader
	mu     sync.Mutex
	stderr bytes.Buffer
	out    bytes.Buffer // what was read from stdout
	done   chan error
}

func startServer(t *testing.T, stdin *os.File) *server {
	t.Helper()
	srv := &server{cmd: exec.Command(testenv.Binary(t)), done: make(chan error, 1)}
	srv.cmd.Dir = t.TempDir()
	srv.cmd.Stdin = stdin
	srv.cmd.Stderr = lockedWriter{&srv.mu, &srv.stderr}
	pipe, err := srv.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	srv.stdout = bufio.NewReader(io.TeeReader(pipe, lockedWriter{&srv.mu, &srv.out}))
	if err := srv.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.cmd.Process.Kill()
		<-srv.done
	})
	go func() { srv.done <- srv.cmd.Wait() }()
	return srv
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (s *server) stderrString() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

func (s *server) stdoutBytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.out.Bytes())
}

func (s *server) waitStderr(t *testing.T, want string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(s.stderrString(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("stderr never said %q; it holds %q", want, s.stderrString())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return s.stderrString()
}

// speakLSP runs initialize, shutdown and exit over in and the server's
// stdout, and requires exit status 0: the server served, and stopped cleanly.
func speakLSP(t *testing.T, in io.Writer, srv *server) {
	t.Helper()
	send := func(body string) {
		if _, err := fmt.Fprintf(in, "Content-Length: %d\r\n\r\n%s", len(body), body); err != nil {
			t.Fatalf("writing to the server: %v", err)
		}
	}
	read := func() string {
		type result struct {
			body string
			err  error
		}
		got := make(chan result, 1)
		go func() {
			body, err := readMessage(srv.stdout)
			got <- result{body, err}
		}()
		select {
		case r := <-got:
			if r.err != nil {
				t.Fatalf("reading the server's answer: %v (stderr %q)", r.err, srv.stderrString())
			}
			return r.body
		case <-time.After(30 * time.Second):
			t.Fatalf("no answer from the server (stderr %q)", srv.stderrString())
			return ""
		}
	}
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"capabilities":{}}}`)
	for {
		if body := read(); strings.Contains(body, `"id":1`) {
			if !strings.Contains(body, `"capabilities"`) {
				t.Fatalf("initialize answered without capabilities: %s", body)
			}
			break
		}
	}
	send(`{"jsonrpc":"2.0","method":"initialized","params":{}}`)
	send(`{"jsonrpc":"2.0","id":2,"method":"shutdown"}`)
	for !strings.Contains(read(), `"id":2`) {
	}
	send(`{"jsonrpc":"2.0","method":"exit"}`)
	select {
	case err := <-srv.done:
		srv.done <- err // for the cleanup
		if err != nil {
			t.Fatalf("the server exited with %v; stderr %q", err, srv.stderrString())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not exit after exit")
	}
}

func readMessage(r *bufio.Reader) (string, error) {
	length := -1
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			if length, err = strconv.Atoi(v); err != nil {
				return "", err
			}
		}
	}
	if length < 0 {
		return "", fmt.Errorf("a message without Content-Length")
	}
	body := make([]byte, length)
	_, err := io.ReadFull(r, body)
	return string(body), err
}

// openPTY opens a pseudo-terminal in raw mode, so that what the test writes
// to master reaches the server byte for byte (no echo, no CR/LF mapping).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlocking the pty: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening the pty: %v", err)
	}
	t.Cleanup(func() { slave.Close() })
	tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatalf("termios: %v", err)
	}
	tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	tio.Oflag &^= unix.OPOST
	tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	tio.Cflag &^= unix.CSIZE | unix.PARENB
	tio.Cflag |= unix.CS8
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(int(slave.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatalf("raw mode: %v", err)
	}
	return master, slave
}
