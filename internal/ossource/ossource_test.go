package ossource_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/ossource"
)

// TestDiscoverNeverEntersPseudoFilesystems: through the OS Source, a workspace folder of `/` must
// not walk /proc (every process's view of the whole filesystem), /sys or
// /dev. Only the first level is searched here, which is where they are.
func TestDiscoverNeverEntersPseudoFilesystems(t *testing.T) {
	var entered []string
	_, err := project.DiscoverWith(context.Background(), ossource.Source{}, "/", project.DiscoverOptions{MaxDepth: 1, OnDir: func(d string) { entered = append(entered, d) }})
	if err == nil {
		t.Log("a project at / ?")
	}
	for _, d := range entered {
		for _, pseudo := range []string{"/proc", "/sys", "/dev"} {
			if d == pseudo || strings.HasPrefix(d, pseudo+"/") {
				t.Errorf("entered %s", d)
			}
		}
	}
	if len(entered) < 2 {
		t.Errorf("entered only %v: the test walked nothing", entered)
	}
	if _, err := project.DiscoverWith(context.Background(), ossource.Source{}, "/proc", project.DiscoverOptions{OnDir: func(d string) { t.Errorf("entered %s", d) }}); err == nil || !strings.Contains(err.Error(), "pseudo-filesystem") {
		t.Errorf("a folder of /proc: %v", err)
	} else if !errors.Is(err, project.ErrNoProject) {
		t.Errorf("a folder of /proc is not ErrNoProject: %v", err)
	}
}
