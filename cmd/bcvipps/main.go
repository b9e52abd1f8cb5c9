package main

import (
	"fmt"
	"os"

	"github.com/bcvipps/bcvipps/cmd/bcvipps/internal/version"
	"github.com/bcvipps/bcvipps/vipps"
)

func main() {
	// Vipps-System-Plugin-Version defaults to this build's version.
	vipps.DefaultPluginVersion = version.Version
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "bcvipps:", err)
		os.Exit(1)
	}
}
