package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/spf13/cobra"
)

// apiKeyPrefix makes keys recognisable in secret scanners.
const apiKeyPrefix = "bcv_"

func newAPIKeyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "apikey", Short: "Manage API keys"}
	var id string
	newCmd := &cobra.Command{
		Use:   "new",
		Short: "Make a new API key; prints the key once and the hash for the configuration",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, hash, err := newAPIKey()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "API key (give it to the BC extension; it is not shown again):\n\n  %s\n\n", key)
			fmt.Fprintf(w, "Add to the tenant in the configuration:\n\n    apiKeys:\n      - id: %s\n        sha256: %s\n", id, hash)
			return nil
		},
	}
	newCmd.Flags().StringVar(&id, "id", "bc", "a name for the key (shown in logs)")
	cmd.AddCommand(newCmd)
	return cmd
}

// newAPIKey returns a random key with 256 bits of entropy and its hex SHA-256.
func newAPIKey() (key, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("make api key: %w", err)
	}
	key = apiKeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(key))
	return key, hex.EncodeToString(sum[:]), nil
}
