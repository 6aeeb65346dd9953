package main

import (
	"errors"
	"os/user"
	"testing"
)

// TestConsoleActor: a change made from the console names the person
// behind it, not only the service account the documented command runs as
// (sudo -u rfwarden): the sudo caller (SUDO_USER) and the kernel's login
// uid (/proc/self/loginuid, which sudo and su do not change). Every
// console change read console:rfwarden, or console:root under sudo.
func TestConsoleActor(t *testing.T) {
	names := map[string]string{"0": "root", "1000": "alice", "1001": "bob", "998": "rfwarden"}
	for _, tc := range []struct {
		name     string
		current  string // uid of the process
		sudoUser string
		loginUID string // "" when /proc/self/loginuid cannot be read
		want     string
	}{
		{"service account by sudo", "998", "alice", "1000", "console:rfwarden (sudo by alice, login alice)"},
		{"root by sudo", "0", "alice", "1000", "console:root (sudo by alice, login alice)"},
		{"sudo from another login (su first)", "998", "bob", "1000", "console:rfwarden (sudo by bob, login alice)"},
		{"own login", "1000", "", "1000", "console:alice"},
		{"no login uid (a service, cron)", "998", "", "4294967295", "console:rfwarden"},
		{"no loginuid file", "998", "alice", "", "console:rfwarden (sudo by alice)"},
		{"login uid without a name", "998", "", "1234", "console:rfwarden (login uid 1234)"},
		{"sudo to oneself", "1000", "alice", "1000", "console:alice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := consoleEnv{
				getenv: func(k string) string {
					if k == "SUDO_USER" {
						return tc.sudoUser
					}
					return ""
				},
				readFile: func(string) ([]byte, error) {
					if tc.loginUID == "" {
						return nil, errors.New("no such file")
					}
					return []byte(tc.loginUID), nil
				},
				current: func() (*user.User, error) { return &user.User{Uid: tc.current, Username: names[tc.current]}, nil },
				lookupID: func(uid string) (*user.User, error) {
					if n, ok := names[uid]; ok {
						return &user.User{Uid: uid, Username: n}, nil
					}
					return nil, user.UnknownUserIdError(1234)
				},
			}
			if got := consoleActor(env); got != tc.want {
				t.Errorf("consoleActor: got %q, want %q", got, tc.want)
			}
		})
	}
}
