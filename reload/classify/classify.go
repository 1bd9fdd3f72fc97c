// Package classify turns a batch of changed paths into what a running dev
// server needs: nothing, typegen, a restart, or both. The analysis engine's
// change impact decides for what it models (plugins, routes, events,
// services, migrations, generated outputs); this package adds the rules that
// need the file system: edits that change no content, the generator's own
// outputs, files read at start (.env, package.json, the config) and the
// server entry's import graph.
package classify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/impact"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/ossource"
	"github.com/donkeyls/donkeyls/internal/srcfile"
)

// maxRead bounds the files read for classification; bigger ones are treated
// as changed without being analyzed.
const maxRead = 8 << 20

// Decision is the verdict on one batch.
type Decision struct {
	// Action is what to do; 0 with Reasons means "nothing, and here is why".
	Action impact.Action
	// Reasons explain each changed path. A batch whose writes changed no
	// content (or only rewrote the generator's outputs with what it had just
	// written) has none.
	Reasons []impact.Reason
}

// Classifier holds the project snapshot the running server was started from
// and moves it forward one batch at a time. It is used from one goroutine.
type Classifier struct {
	root  string
	snap  *project.Project
	cache project.FactsCache
	// loadErr is set when the project could not be analyzed: every content
	// change then restarts, the only safe verdict.
	loadErr error
	// other fingerprints files the project does not analyze (.env,
	// package.json, JSON the entry imports) to skip writes that change nothing.
	other map[string]uint64
	// wrote fingerprints the generator's outputs right after a typegen run,
	// so their change events are recognised by content, never by timing.
	wrote map[string]uint64
}

// New loads the project at root. When it cannot be analyzed the classifier
// still works, conservatively, and Err says why. cache (nil for none)
// supplies the facts of files parsed by any earlier run.
func New(ctx context.Context, root string, cache project.FactsCache) *Classifier {
	c := &Classifier{root: filepath.Clean(root), cache: cache, other: map[string]uint64{}, wrote: map[string]uint64{}}
	c.snap, c.loadErr = project.LoadWith(ctx, c.root, project.LoadOptions{Source: ossource.Source{}, Cache: cache})
	if c.loadErr != nil {
		c.snap = nil
	}
	for _, name := range []string{"package.json", ".env", ".env.local", ".env.development"} {
		c.remember(filepath.Join(c.root, name))
	}
	return c
}

// Err is why the project could not be analyzed, or nil.
func (c *Classifier) Err() error { return c.loadErr }

// Project is the current snapshot, nil when the project could not be analyzed.
func (c *Classifier) Project() *project.Project { return c.snap }

func (c *Classifier) remember(path string) {
	if b, err := srcfile.Read(path); err == nil {
		c.other[path] = facts.HashBytes(b)
	}
}

// Loaded fingerprints the code of every project source file in the current
// snapshot: what a server started now loads.
func (c *Classifier) Loaded() map[string]uint64 {
	out := map[string]uint64{}
	if c.snap == nil {
		return out
	}
	// A server starts with what is on disk now, which may be ahead of the
	// snapshot: a restart asked for from the editor can come while a burst
	// of saves is still being debounced. Fingerprint the disk, through a
	// throwaway snapshot, so the pending burst is still classified later
	// against what was decided last.
	now := c.snap
	c.snap.EachFile(func(f *facts.File) {
		if f.Kind.IsGenerated() || f.Missing {
			return
		}
		b, err := srcfile.Read(f.Path)
		if err != nil || facts.HashBytes(b) == f.Hash {
			return
		}
		now = now.WithFile(f.Path, b)
	})
	now.EachFile(func(f *facts.File) {
		if f.Kind.IsGenerated() || f.Missing || f.Unreadable {
			return
		}
		out[f.Path] = f.CodeHash
	})
	return out
}

// TypegenWrote records the generator's outputs as they are now, right after
// a run: their change events then count as nothing.
func (c *Classifier) TypegenWrote() {
	if c.snap == nil {
		return
	}
	next := c.snap
	for _, path := range c.snap.GeneratedPaths() {
		b, err := srcfile.Read(path)
		if err != nil {
			delete(c.wrote, path)
			next = next.WithoutFile(path)
			continue
		}
		c.wrote[path] = facts.HashBytes(b)
		next = next.WithFile(path, b)
	}
	c.snap = next
}

// Classify reads the changed paths, advances the snapshot and says what the
// changes require.
func (c *Classifier) Classify(ctx context.Context, changed []string) Decision {
	if c.snap == nil {
		return c.classifyBlind(changed)
	}
	before := c.snap
	after := before
	var analyzed, other []string
	for _, path := range expand(before, changed) {
		b, err := readSmall(path)
		if errors.Is(err, fs.ErrNotExist) {
			if before.File(path) != nil {
				after = after.WithoutFile(path)
				analyzed = append(analyzed, path)
			} else if _, ok := c.other[path]; ok {
				delete(c.other, path)
				other = append(other, path)
			}
			delete(c.wrote, path)
			continue
		}
		if err != nil {
			other = append(other, path) // unreadable or huge: assume it changed
			continue
		}
		if _, ok := before.KindOf(path); !ok || isConfigInput(c.root, path) {
			h := facts.HashBytes(b)
			if old, ok := c.other[path]; ok && old == h {
				continue
			}
			c.other[path] = h
			if isConfigInput(c.root, path) {
				after = after.WithFile(path, b)
			}
			other = append(other, path)
			continue
		}
		if before.IsGenerated(path) {
			if h, ok := c.wrote[path]; ok && h == facts.HashBytes(b) {
				continue // the generator's own output, as it just wrote it
			}
		}
		next := after.WithFile(path, b)
		if next == after {
			continue // saved without a change
		}
		after = next
		analyzed = append(analyzed, path)
	}
	if len(analyzed) == 0 && len(other) == 0 {
		return Decision{}
	}
	if after.NeedsReload() {
		if p, err := project.LoadWith(ctx, c.root, project.LoadOptions{Source: ossource.Source{}, Cache: c.cache}); err == nil {
			after = p
		} else {
			c.snap = nil
			c.loadErr = err
			return c.classifyBlind(append(analyzed, other...))
		}
	}

	v := impact.Classify(before, after, analyzed)
	d := Decision{Action: v.Action, Reasons: v.Reasons}
	covered := map[string]bool{}
	for _, r := range v.Reasons {
		covered[filepath.Clean(r.Path)] = true
	}
	graph := importGraph(after)
	oldGraph := importGraph(before)
	entry := after.Config().EntryPath()
	analyzedSet := map[string]bool{}
	for _, p := range analyzed {
		analyzedSet[p] = true
	}
	paths := append(append([]string(nil), analyzed...), other...)
	slices.Sort(paths)
	for _, path := range paths {
		if covered[path] {
			continue
		}
		r := impact.Reason{Path: path}
		if bf, af := before.File(path), after.File(path); analyzedSet[path] && bf != nil && af != nil &&
			!bf.Missing && !af.Missing && bf.CodeHash == af.CodeHash {
			// The same code with other comments or layout: nothing that
			// imports it behaves differently.
			r.What = "comments or formatting only"
			d.Reasons = append(d.Reasons, r)
			continue
		}
		switch {
		case isStartInput(c.root, path):
			r.Action = impact.Restart
			r.What = filepath.Base(path) + " is read when the server starts"
		case path == entry:
			r.Action = impact.Restart
			r.What = "the server entry changed"
		case graph[path] || oldGraph[path]:
			r.Action = impact.Restart
			r.What = "imported by the server entry " + rel(c.root, entry)
		case !analyzedSet[path]:
			// Logs, images, notes: saying "nothing" about them is noise, and
			// a log file inside the project would make every line a decision.
			continue
		default:
			r.What = "not imported by the server"
		}
		d.Action |= r.Action
		d.Reasons = append(d.Reasons, r)
	}
	c.snap = after
	return d
}

// classifyBlind is the verdict without analysis: any content change restarts.
func (c *Classifier) classifyBlind(changed []string) Decision {
	var d Decision
	for _, path := range changed {
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			continue
		}
		b, err := readSmall(path)
		if err == nil {
			h := facts.HashBytes(b)
			if old, ok := c.other[path]; ok && old == h {
				continue
			}
			c.other[path] = h
		} else {
			delete(c.other, path)
		}
		d.Action |= impact.Restart
		d.Reasons = append(d.Reasons, impact.Reason{Path: path, Action: impact.Restart,
			What: fmt.Sprintf("changed, and the project cannot be analyzed (%v)", c.loadErr)})
	}
	return d
}

// expand turns the watcher's paths into files: a removed or renamed
// directory stands for every file the snapshot had below it.
func expand(p *project.Project, changed []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(path string) {
		if !seen[path] {
			seen[path] = true
			out = append(out, path)
		}
	}
	for _, path := range changed {
		path = filepath.Clean(path)
		st, err := os.Stat(path)
		if err == nil && st.IsDir() {
			continue // the watcher reports the files a new directory brings
		}
		if err != nil && p.File(path) == nil {
			prefix := path + string(filepath.Separator)
			found := false
			for _, f := range p.Files() {
				if strings.HasPrefix(f, prefix) {
					add(f)
					found = true
				}
			}
			if found {
				continue
			}
		}
		add(path)
	}
	return out
}

func readSmall(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	if st.Size() > maxRead {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxRead)
	}
	return srcfile.Read(path)
}

// isConfigInput: files whose change makes the project reload its config.
func isConfigInput(root, path string) bool {
	return path == filepath.Join(root, project.ConfigFile) || path == filepath.Join(root, "package.json")
}

// isStartInput: files the server (or the runtime) reads once at start.
// IsStartInput reports whether path is read when the server starts rather
// than imported by it (.env, bunfig.toml, tsconfig.json, the config): a dev
// command that reloads imported code does not reload these.
func IsStartInput(root, path string) bool { return isStartInput(root, path) }

func isStartInput(root, path string) bool {
	if isConfigInput(root, path) {
		return true
	}
	base := filepath.Base(path)
	return filepath.Dir(path) == root && (base == ".env" || strings.HasPrefix(base, ".env.") ||
		base == "bunfig.toml" || base == "tsconfig.json")
}

func rel(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil {
		return filepath.ToSlash(r)
	}
	return path
}

// Fingerprint is path as last classified: the hash of its bytes
// (facts.HashBytes) and of its code.
func (c *Classifier) Fingerprint(path string) (hash, codeHash uint64, ok bool) {
	if c.snap == nil {
		return 0, 0, false
	}
	f := c.snap.File(filepath.Clean(path))
	if f == nil || f.Missing || f.Unreadable {
		return 0, 0, false
	}
	return f.Hash, f.CodeHash, true
}
