package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// usersUsage is rfwarden users' usage; ROLES stands for the roles
// (dashboard.Roles), which it is printed with.
const usersUsage = `usage: rfwarden users [--db rfwarden.db] ACTION [NAME] [ROLE]

Manage the dashboard's accounts from the central host's shell, for when no
admin can log in (a forgotten password). Each change is in the audit log as
done by "console:<account> (sudo by <caller>, login <login name>)": the
account it runs as, who ran sudo, and who logged in to the host; the
dashboards see it within seconds.

actions:
  list                   every account, its role and state
  reset-password NAME    give NAME a new random password (printed once), to replace at
                         its next login; ends its sessions
  enable NAME            let a disabled account log in again
  disable NAME           stop NAME logging in; ends its sessions
  role NAME ROLE         give NAME another role (ROLES)
  delete NAME            delete NAME's account (name, role, password hash); ends its
                         sessions; its audit rows stay until audit_days
`

// usersActions are the actions of rfwarden users and what each takes
// after its name.
var usersActions = []struct{ name, takes string }{
	{"list", ""}, {"reset-password", "NAME"}, {"enable", "NAME"}, {"disable", "NAME"}, {"role", "NAME ROLE"}, {"delete", "NAME"},
}

// usersArgs checks the ACTION and its arguments, saying on the first line
// what is wrong ("users reset-password: give the user's NAME") before the
// usage; they printed the usage alone.
func usersArgs(rest []string, stderr io.Writer, usage func()) error {
	var names []string
	for _, a := range usersActions {
		names = append(names, a.name)
	}
	if len(rest) == 0 {
		return usageErr(stderr, usage, "users: give an ACTION: %s", strings.Join(names, ", "))
	}
	i := slices.IndexFunc(usersActions, func(a struct{ name, takes string }) bool { return a.name == rest[0] })
	if i < 0 {
		return usageErr(stderr, usage, "users: unknown action %q: give one of %s", rest[0], strings.Join(names, ", "))
	}
	a, got := usersActions[i], rest[1:]
	want := strings.Fields(a.takes)
	switch {
	case len(got) == len(want):
		return nil
	case len(want) == 0:
		return usageErr(stderr, usage, "users %s: takes no arguments, got %q", a.name, strings.Join(got, " "))
	case len(got) == 0:
		return usageErr(stderr, usage, "users %s: give the user's %s", a.name, a.takes)
	case len(got) < len(want) && want[len(got)] == "ROLE":
		return usageErr(stderr, usage, "users %s: give %s's ROLE after the NAME: %s", a.name, got[0], dashboard.RoleList())
	default:
		return usageErr(stderr, usage, "users %s: takes %s, got %d arguments: %q", a.name, a.takes, len(got), strings.Join(got, " "))
	}
}

// cmdUsers manages dashboard accounts in fusion's SQLite file.
func cmdUsers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("users", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, strings.Replace(usersUsage, "ROLES", strings.Join(dashboard.Roles(), ", "), 1))
		printDefaults(fs)
	}
	dbPath := fs.String("db", dashboardEnv("RFW_DB", "rfwarden.db"), "SQLite database of fusion and the dashboard")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if err := flagAfterArg(fs); err != nil {
		return err
	}
	rest := fs.Args()
	if err := usersArgs(rest, stderr, fs.Usage); err != nil {
		return err
	}
	if _, err := existingDB(*dbPath); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	db, err := store.OpenSQLite(*dbPath)
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	defer db.Close()
	users, err := dashboard.NewUsers(ctx, db.DB(), dashboard.UsersOptions{AuditTx: db.AuditTx})
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	// audit records a change already made and reported: its failure is
	// the command's error, after the change (a reset password too) was
	// printed, so that it is never lost to it.
	who := consoleActor(osConsoleEnv())
	audit := func(action, name, before, after string) error {
		if err := db.Audit(ctx, store.AuditEntry{TimeNS: time.Now().UnixNano(), User: who, Action: action, Object: "user/" + name, Before: before, After: after}); err != nil {
			return fmt.Errorf("users: the change above was made, but its audit row could not be written: %s: %w", action, err)
		}
		return nil
	}
	switch rest[0] {
	case "list":
		list, err := users.List(ctx)
		if err != nil {
			return fmt.Errorf("users: %w", err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tSTATE\tCREATED")
		for _, u := range list {
			state := "enabled"
			if u.DisabledNS != 0 {
				state = "disabled " + time.Unix(0, u.DisabledNS).Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, state, time.Unix(0, u.CreatedNS).Format(time.RFC3339))
		}
		return tw.Flush()
	case "reset-password":
		pw, err := users.ResetPassword(ctx, rest[1])
		if err != nil {
			return fmt.Errorf("users: %w", err)
		}
		fmt.Fprintf(stdout, "new password of %s: %s (shown once; they choose their own when they log in)\n", rest[1], pw)
		return audit("user.password.reset", rest[1], "", "")
	case "enable", "disable":
		if err := users.SetDisabled(ctx, rest[1], rest[0] == "disable"); err != nil {
			if errors.Is(err, dashboard.ErrLastAdmin) {
				return fmt.Errorf("users: %w (enable or make another admin first)", err)
			}
			return fmt.Errorf("users: %w", err)
		}
		fmt.Fprintf(stdout, "%sd %s\n", rest[0], rest[1])
		return audit("user."+rest[0], rest[1], "", "")
	case "delete":
		// its user.delete row in the deletion's transaction: rfwarden
		// restore deletes again the accounts such rows name
		row := store.AuditEntry{TimeNS: time.Now().UnixNano(), User: who, Action: "user.delete", Object: "user/" + rest[1]}
		if _, err := users.DeleteAudited(ctx, rest[1], row); err != nil {
			if errors.Is(err, dashboard.ErrLastAdmin) {
				return fmt.Errorf("users: %w (enable or make another admin first)", err)
			}
			return fmt.Errorf("users: %w", err)
		}
		fmt.Fprintf(stdout, "deleted %s (its audit rows stay)\n", rest[1])
		return nil
	case "role":
		old, err := users.SetRole(ctx, rest[1], rest[2])
		if err != nil {
			return fmt.Errorf("users: %w", err)
		}
		fmt.Fprintf(stdout, "%s: %s -> %s\n", rest[1], old, rest[2])
		if old != rest[2] {
			return audit("user.role", rest[1], old, rest[2])
		}
	}
	return nil
}

// consoleEnv is what consoleActor reads of the process: the environment,
// a file (/proc/self/loginuid), the current account and accounts by uid.
type consoleEnv struct {
	getenv   func(string) string
	readFile func(string) ([]byte, error)
	current  func() (*user.User, error)
	lookupID func(string) (*user.User, error)
}

// osConsoleEnv is this process's consoleEnv.
func osConsoleEnv() consoleEnv {
	return consoleEnv{getenv: os.Getenv, readFile: os.ReadFile, current: user.Current, lookupID: user.LookupId}
}

// noLoginUID is /proc/self/loginuid of a process no login started (a
// service, a timer): (uid_t)-1.
const noLoginUID = "4294967295"

// consoleActor names who makes a change from the console for the audit
// log: "console:<account>" the process runs as, then, in brackets, who
// ran sudo (SUDO_USER) and who logged in to the host (the kernel's login
// uid, /proc/self/loginuid, which neither sudo nor su changes, resolved to
// a name), each when it is known and differs from the account. The
// documented `sudo -u rfwarden rfwarden users ...` read console:rfwarden
// whoever ran it; now "console:rfwarden (sudo by alice, login alice)".
func consoleActor(env consoleEnv) string {
	account := "?"
	cur, err := env.current()
	if err == nil {
		account = cur.Username
	}
	var notes []string
	if s := env.getenv("SUDO_USER"); s != "" && s != account {
		notes = append(notes, "sudo by "+s)
	}
	if b, err := env.readFile("/proc/self/loginuid"); err == nil {
		uid := strings.TrimSpace(string(b))
		if _, err := strconv.ParseUint(uid, 10, 32); err == nil && uid != noLoginUID && (cur == nil || uid != cur.Uid) {
			if u, err := env.lookupID(uid); err == nil {
				notes = append(notes, "login "+u.Username)
			} else {
				notes = append(notes, "login uid "+uid)
			}
		}
	}
	who := "console:" + account
	if len(notes) > 0 {
		who += " (" + strings.Join(notes, ", ") + ")"
	}
	return who
}
