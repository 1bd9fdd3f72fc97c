package main

import (
	"testing"

	"github.com/donkeyls/donkeyls/internal/testenv"
)

// TestMain removes the binary the benchmarks build.
func TestMain(m *testing.M) { testenv.Main(m) }
