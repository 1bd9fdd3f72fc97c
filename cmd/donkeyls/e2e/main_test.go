package e2e

import (
	"testing"

	"github.com/donkeyls/donkeyls/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
