package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// approverTokenEnv names the environment variable that gives an approver
// token in place of the token file.
const approverTokenEnv = "KEYTURN_APPROVER_TOKEN"

// savedToken is the content of the approver token file.
type savedToken struct {
	// EndpointURL is the server that issued the token. The token is sent
	// to no other server.
	EndpointURL   string `json:"EndpointUrl"`
	ApproverToken string
	UserID        string `json:"UserId"`
	UserName      string
}

// defaultTokenFile returns $XDG_CONFIG_HOME/keyturn/approver.json, or
// ~/.config/keyturn/approver.json when XDG_CONFIG_HOME is not set.
func defaultTokenFile() (string, error) {
	if dir := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "keyturn", "approver.json"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the approver token file: %w. Give one with --token-file", err)
	}
	return filepath.Join(home, ".config", "keyturn", "approver.json"), nil
}

// writeTokenFile writes the token to path with mode 0600, creating its
// directory with mode 0700. It replaces the file in one rename, so that a
// reader never sees half a file.
func writeTokenFile(path string, t savedToken) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the directory of the approver token file: %w", err)
	}
	f, err := os.CreateTemp(dir, ".approver-*.json") // CreateTemp uses mode 0600
	if err != nil {
		return fmt.Errorf("write the approver token file: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write the approver token file %s: %w", path, err)
	}
	return nil
}

// readTokenFile reads the token file at path, and warns on stderr when
// other users may read it.
func readTokenFile(path string, stderr io.Writer) (savedToken, error) {
	var t savedToken
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return t, fmt.Errorf("no approver token: %s does not exist. Enrol with keyturn approver enroll --code CODE, set %s, or use --token-file", path, approverTokenEnv)
	}
	if err != nil {
		return t, fmt.Errorf("read the approver token file: %w", err)
	}
	if err := json.Unmarshal(b, &t); err != nil || t.ApproverToken == "" || t.EndpointURL == "" {
		return t, fmt.Errorf("approver token file %s is invalid: it needs EndpointUrl and ApproverToken. Enrol again with keyturn approver enroll --code CODE", path)
	}
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(stderr, "keyturn: warning: other users may read the approver token in %s; run chmod 600 %s\n", path, path)
	}
	return t, nil
}
