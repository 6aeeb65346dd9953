package dashboard

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestLoginGuessesSpreadOverAddressesLimited: one user name's failed
// logins from all addresses together are limited (MaxUserFailures, 50 in
// FailWindow by default): past it the name's logins are refused, the
// right password too, from every address but those the user logged in
// from before; other names are not refused, and the limit lifts with the
// window. Until 2026-12-06 the limits were per address (and per address
// and name) only: a PC taking a hundred IPv4 addresses of its subnet had
// 500 guesses of the admin's password every 15 minutes.
func TestLoginGuessesSpreadOverAddressesLimited(t *testing.T) {
	now := testNow
	u := usersAt(t, bcrypt.MinCost, 15*time.Minute, func() time.Time { return now })
	ctx := context.Background()
	if err := u.Create(ctx, "bob", "bob-password", RoleViewer); err != nil {
		t.Fatal(err)
	}
	const own = "10.0.0.7" // the admin's own screen
	if _, err := u.Login(ctx, own, "admin", "admin-password"); err != nil {
		t.Fatal(err)
	}
	addr := func(i int) string { return fmt.Sprintf("192.0.2.%d", i) }
	for i := 1; i <= 50; i++ {
		if _, err := u.Login(ctx, addr(i), "admin", fmt.Sprint("guess-", i)); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("guess %d from its own address: %v, want ErrBadCredentials", i, err)
		}
	}
	for _, tc := range []struct {
		name, ip, user, password string
		wantLimited              bool
	}{
		{"51st guess from a new address", addr(51), "admin", "guess-51", true},
		{"right password from a new address", addr(52), "admin", "admin-password", true},
		{"right password from the user's own address", own, "admin", "admin-password", false},
		{"another user from a new address", addr(53), "bob", "bob-password", false},
	} {
		_, err := u.Login(ctx, tc.ip, tc.user, tc.password)
		var le *LimitError
		if limited := errors.As(err, &le) && errors.Is(err, ErrRateLimited); limited != tc.wantLimited {
			t.Errorf("%s: %v; want limited %v", tc.name, err, tc.wantLimited)
		}
		if tc.wantLimited && le != nil && (le.RetryAfter <= 0 || le.RetryAfter > 15*time.Minute) {
			t.Errorf("%s: retry after %v, want within the 15 min window", tc.name, le.RetryAfter)
		}
	}
	now = now.Add(15 * time.Minute)
	if _, err := u.Login(ctx, addr(52), "admin", "admin-password"); err != nil {
		t.Errorf("right password from a new address once the window passed: %v", err)
	}
}
