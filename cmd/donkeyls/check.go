package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/factcache"
	"github.com/donkeyls/donkeyls/internal/gctune"
	"github.com/donkeyls/donkeyls/internal/ossource"
)

// runCheck analyzes every project under DIR and prints its findings.
// Exit codes: 0 nothing at warning level or above, 1 something is, 2 usage
// or I/O errors.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet(checkUsage)
	format := fs.String("format", "text", "output format, `text|json`; json has paths relative to DIR and 0-based UTF-16 positions, as in LSP")
	cacheOpts := addCacheFlags(fs)
	stats := fs.Bool("stats", false, "say on stderr how many files were parsed and how many came from the cache")
	pos, code, ok := parseArgs(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "donkeyls check: unknown format %q (want text or json)\n", *format)
		return exitUsage
	}
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "donkeyls check: at most one directory (got %q)\n", pos)
		return exitUsage
	}
	dir := "."
	if len(pos) == 1 {
		dir = pos[0]
	}
	abs, err := existingDir(dir)
	if err != nil {
		fmt.Fprintf(stderr, "donkeyls check: %v\n", err)
		return exitUsage
	}
	cache, err := cacheOpts.open()
	if err != nil && *stats {
		fmt.Fprintf(stderr, "donkeyls check: no facts cache: %v\n", err)
	}
	findings, loaded, err := checkDir(ctx, abs, cache)
	// The cache's pack is written in the background while the analyzers
	// run; the findings are printed before waiting for it, so a cold run's
	// writing delays the exit, not the answer.
	defer func() {
		if cache != nil {
			// Entries still queued are written now, within a bounded wait.
			if cerr := cache.Close(); cerr != nil && *stats {
				fmt.Fprintf(stderr, "donkeyls check: %v\n", cerr)
			}
		}
		if *stats {
			fmt.Fprintf(stderr, "donkeyls check: %d files: %d parsed, %d from the cache\n", loaded.Parsed+loaded.Cached, loaded.Parsed, loaded.Cached)
		}
	}()
	if err != nil {
		if errors.Is(err, project.ErrNoProject) {
			fmt.Fprintf(stderr, "donkeyls check: %s holds no donkeylabs project: no donkeylabs.config.ts was found below it (node_modules and .git are skipped)\n", dir)
		} else {
			fmt.Fprintf(stderr, "donkeyls check: %v\n", err)
		}
		return exitUsage
	}
	switch *format {
	case "json":
		err = writeJSON(stdout, abs, findings)
	default:
		err = writeText(stdout, abs, findings)
	}
	if err != nil {
		fmt.Fprintf(stderr, "donkeyls check: writing output: %v\n", err)
		return exitUsage
	}
	for _, f := range findings {
		if f.Severity <= analysis.SeverityWarning {
			return exitFindings
		}
	}
	return exitOK
}

// checkHeadroom is the garbage check lets the analyzers accumulate between
// collections, and checkFloor the least GOGC that allows. At 5,000 plugins
// they allocate about 100 MB while the live heap grows from the loaded
// facts' 100-105 MB to 112-119 MB, and their phase is where a warm check
// peaks. Interleaved runs: 32 MiB (floor 20) peaked at 169-176 MB, 20 MiB
// (floor 20) at 151-156 MB for 2 % more CPU, 16 MiB over a floor of 14 at
// 146-155 MB for 6 % more, 12 MiB over 10 at 145-151 MB for 10 %.
const (
	checkHeadroom = 16 << 20
	checkFloor    = 14
)

// loadHeadroom is the garbage a load may accumulate beyond its live heap
// (gctune.Loading). A cold load of 5,000 plugins allocates 880 MB while
// its live heap climbs to 125 MB, and the default pacing let the heap
// reach twice the live one: peak RSS 286-340 MB. Interleaved runs put
// 48 MiB at 209-232 MB for about 3 % more CPU, 40 MiB at the same, and
// 32 MiB at 203-213 MB for about 10 % more: every cycle of a load's second
// half marks a hundred megabytes of facts.
const loadHeadroom = 48 << 20

// checkDir analyzes every project under dir; cache may be nil.
func checkDir(ctx context.Context, dir string, cache *factcache.Cache) ([]analysis.Finding, project.LoadStats, error) {
	var stats project.LoadStats
	// Discovery walks the whole tree, and each project's scan walks its
	// part again: the scans read the listings discovery made.
	src := project.NewListings(ossource.Source{})
	roots, err := project.Discover(ctx, src, dir)
	if err != nil {
		return nil, stats, err
	}
	// check analyzes each snapshot once and makes no later one, so
	// nothing is kept for reuse across snapshots (see NoReuse).
	opts := project.LoadOptions{Source: src, NoReuse: true}
	if cache != nil {
		opts.Cache = cache
	}
	var all []analysis.Finding
	for i, root := range roots {
		// A load builds the heap the analyzers then read: under the
		// default pacing its garbage doubles it.
		stop := gctune.Loading(loadHeadroom)
		p, err := project.LoadWith(ctx, root, opts)
		stop()
		if err != nil {
			return nil, stats, fmt.Errorf("loading %s: %w", root, err)
		}
		if i == len(roots)-1 {
			// Only loads read the listings, and this was the last: the
			// analyzers' Stats and ReadFiles go to the disk either way,
			// and the listings of every directory (4-5 MB at 5,000
			// plugins) would stay live through their peak.
			src.Forget()
		}
		// The facts are loaded and the analyzers allocate about as much
		// again before the run ends; under the default pacing that garbage
		// would stay until exit.
		gctune.BoundedFloor(checkHeadroom, checkFloor)
		s := p.LoadStats()
		stats.Parsed += s.Parsed
		stats.Cached += s.Cached
		all = append(all, analyzers.Run(ctx, p)...)
	}
	if err := ctx.Err(); err != nil {
		return nil, stats, err
	}
	analyzers.Sort(all)
	return all, stats, nil
}

func relPath(base, path string) string {
	rel, err := filepath.Rel(base, path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(rel)
}

func writeText(w io.Writer, base string, findings []analysis.Finding) error {
	var b strings.Builder
	counts := map[analysis.Severity]int{}
	lastFile := ""
	for _, f := range findings {
		file := relPath(base, f.Location.Path)
		if lastFile != "" && file != lastFile {
			b.WriteString("\n")
		}
		lastFile = file
		start := f.Location.Range.Start
		fmt.Fprintf(&b, "%s:%d:%d: %s: %s [%s]\n", file, start.Line+1, start.Col+1, f.Severity, f.Message, f.Code)
		for _, r := range f.Related {
			rs := r.Location.Range.Start
			fmt.Fprintf(&b, "    %s:%d:%d: %s\n", relPath(base, r.Location.Path), rs.Line+1, rs.Col+1, r.Message)
		}
		counts[f.Severity]++
	}
	if len(findings) > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%d error%s, %d warning%s, %d information, %d hint%s\n",
		counts[analysis.SeverityError], plural(counts[analysis.SeverityError]),
		counts[analysis.SeverityWarning], plural(counts[analysis.SeverityWarning]),
		counts[analysis.SeverityInformation],
		counts[analysis.SeverityHint], plural(counts[analysis.SeverityHint]))
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

type jsonPos struct {
	Line      int32 `json:"line"`
	Character int32 `json:"character"`
}

type jsonRange struct {
	Start jsonPos `json:"start"`
	End   jsonPos `json:"end"`
}

type jsonRelated struct {
	File    string    `json:"file"`
	Range   jsonRange `json:"range"`
	Message string    `json:"message"`
}

type jsonFinding struct {
	Code     string        `json:"code"`
	Severity string        `json:"severity"`
	File     string        `json:"file"`
	Range    jsonRange     `json:"range"`
	Message  string        `json:"message"`
	Related  []jsonRelated `json:"related"`
}

func toJSONRange(r analysis.Range) jsonRange {
	return jsonRange{Start: jsonPos{r.Start.Line, r.Start.Col}, End: jsonPos{r.End.Line, r.End.Col}}
}

func writeJSON(w io.Writer, base string, findings []analysis.Finding) error {
	out := struct {
		Findings []jsonFinding `json:"findings"`
	}{Findings: []jsonFinding{}}
	for _, f := range findings {
		jf := jsonFinding{
			Code: f.Code, Severity: f.Severity.String(), File: relPath(base, f.Location.Path),
			Range: toJSONRange(f.Location.Range), Message: f.Message, Related: []jsonRelated{},
		}
		for _, r := range f.Related {
			jf.Related = append(jf.Related, jsonRelated{File: relPath(base, r.Location.Path), Range: toJSONRange(r.Location.Range), Message: r.Message})
		}
		out.Findings = append(out.Findings, jf)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
