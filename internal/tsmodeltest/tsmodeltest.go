// Package tsmodeltest type-checks donkeylabs projects with TypeScript 5
// against the hand-written declaration model in testdata/tsmodel, so tests
// can tell a stale generated file from a fresh one by the compiler errors it
// causes, without the real framework (which no registry here serves).
package tsmodeltest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// ModelDir is testdata/tsmodel under the repository root.
func ModelDir(repoRoot string) string {
	return filepath.Join(repoRoot, "testdata", "tsmodel")
}

// InstallModel copies the model packages into dir/node_modules, where tsc's
// module resolution finds them as if they were installed.
func InstallModel(repoRoot, dir string) error {
	src := ModelDir(repoRoot)
	dst := filepath.Join(dir, "node_modules")
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		// The model's own documentation is not a package.
		if rel == "README.md" {
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("installing model: %w", err)
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// Edit is one exact text change in one file of a project.
type Edit struct {
	Path string // slash-separated, relative to the project root
	Old  string // must occur exactly once
	New  string
}

// ApplyEdits applies edits to the project at dir, failing if an anchor text
// is missing or ambiguous (the project changed and the edits must follow).
func ApplyEdits(dir string, edits []Edit) error {
	for _, e := range edits {
		path := filepath.Join(dir, filepath.FromSlash(e.Path))
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("applying edit: %w", err)
		}
		if n := strings.Count(string(data), e.Old); n != 1 {
			return fmt.Errorf("applying edit to %s: anchor text found %d times, want 1: %q", e.Path, n, e.Old)
		}
		out := strings.Replace(string(data), e.Old, e.New, 1)
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			return fmt.Errorf("applying edit: %w", err)
		}
	}
	return nil
}

// Diagnostic is one tsc error.
type Diagnostic struct {
	File    string // slash-separated, relative to the project
	Line    int    // 1-based
	Col     int    // 1-based
	Code    string // "TS2339"
	Message string // the first line of the message
}

func (d Diagnostic) String() string {
	return fmt.Sprintf("%s(%d,%d): %s %s", d.File, d.Line, d.Col, d.Code, d.Message)
}

var diagLine = regexp.MustCompile(`^(.+)\((\d+),(\d+)\): error (TS\d+): (.*)$`)

// ParseDiagnostics reads tsc's default (non-pretty) output.
func ParseDiagnostics(out []byte) []Diagnostic {
	var diags []Diagnostic
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		m := diagLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue // continuation lines of a multi-line message
		}
		line, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		diags = append(diags, Diagnostic{File: filepath.ToSlash(m[1]), Line: line, Col: col, Code: m[4], Message: m[5]})
	}
	return diags
}

// Check runs `tsc --noEmit -p dir` and returns its errors. A non-zero exit
// with errors is not a failure of Check; output tsc could not have produced
// (a crash, a bad tsconfig) is.
func Check(ctx context.Context, tsc, dir string) ([]Diagnostic, error) {
	cmd := exec.CommandContext(ctx, tsc, "--noEmit", "--pretty", "false", "-p", dir)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	diags := ParseDiagnostics(out)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return diags, nil
	case errors.As(err, &exit) && len(diags) > 0:
		return diags, nil
	default:
		return diags, fmt.Errorf("running tsc: %w\n%s", err, out)
	}
}
