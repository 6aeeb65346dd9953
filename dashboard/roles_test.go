package dashboard

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
	"golang.org/x/crypto/bcrypt"
)

// TestRoles: the roles are one list, least privileged first, which the
// rank checks and the messages naming the roles are made of: a role the
// list gains is offered by "must be ..." (here) and by rfwarden users
// (cmd/rfwarden's TestMissingArgumentsSayWhatIsWrong, TestCmdUsersHelp) without a second list to forget.
func TestRoles(t *testing.T) {
	want := []string{RoleViewer, RoleOfficer, RoleAnalyst, RoleAdmin}
	if got := Roles(); !slices.Equal(got, want) {
		t.Fatalf("Roles() = %v, want %v", got, want)
	}
	Roles()[0] = "root" // a copy: the list itself stays
	if got := Roles(); got[0] != RoleViewer {
		t.Errorf("Roles()[0] = %q after a caller wrote to its copy, want %q", got[0], RoleViewer)
	}
	if got, want := RoleList(), "viewer, officer, analyst or admin"; got != want {
		t.Errorf("RoleList() = %q, want %q", got, want)
	}
	for i, lo := range want {
		for j, hi := range want {
			if got := RoleAtLeast(hi, lo); got != (j >= i) {
				t.Errorf("RoleAtLeast(%q, %q) = %v, want %v", hi, lo, got, j >= i)
			}
		}
		if RoleAtLeast(lo, "") || RoleAtLeast("", lo) || RoleAtLeast(lo, "root") {
			t.Errorf("RoleAtLeast takes a role that is none beside %q", lo)
		}
	}
	u, err := NewUsers(context.Background(), memDB(t), UsersOptions{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	const refusal = `role "root": must be viewer, officer, analyst or admin`
	if err := u.Create(context.Background(), "ops", "ops-password-1", "root"); err == nil || !strings.Contains(err.Error(), refusal) {
		t.Errorf("Create with role root = %v, want %q", err, refusal)
	}
}

// TestWebKnowsEveryRole: the page's ranks (web/app.js), from which its
// role selects are made, are Roles() in order, so a new role cannot be
// missing from the page; index.html lists none of its own.
func TestWebKnowsEveryRole(t *testing.T) {
	js, err := os.ReadFile("web/app.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`const ranks = \{([^}]*)\};`).FindSubmatch(js)
	if m == nil {
		t.Fatal("web/app.js has no `const ranks = { ... };`")
	}
	var got []string
	for i, kv := range strings.Split(string(m[1]), ",") {
		k, v, _ := strings.Cut(kv, ":")
		if rank, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || rank != i+1 {
			t.Errorf("ranks %s: rank %q, want %d", m[1], v, i+1)
		}
		got = append(got, strings.TrimSpace(k))
	}
	if !slices.Equal(got, Roles()) {
		t.Errorf("web/app.js ranks the roles %v, want %v (dashboard.Roles)", got, Roles())
	}
	html, err := os.ReadFile("web/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Roles() {
		if strings.Contains(string(html), "<option>"+r+"</option>") {
			t.Errorf("web/index.html offers role %s itself: make its options from app.js's ranks", r)
		}
	}
}

// TestWebKnowsDroneClasses: the page's drone classes (app.js
// droneClasses, by which a drone's marker on the floor plan stands at its
// latest fix) are the server's, event.DroneClasses.
func TestWebKnowsDroneClasses(t *testing.T) {
	js, err := os.ReadFile("web/app.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`const droneClasses = \[([^\]]*)\];`).FindSubmatch(js)
	if m == nil {
		t.Fatal("web/app.js has no `const droneClasses = [ ... ];`")
	}
	var got []string
	for _, c := range strings.Split(string(m[1]), ",") {
		got = append(got, strings.Trim(strings.TrimSpace(c), `'`))
	}
	if !slices.Equal(got, event.DroneClasses) {
		t.Errorf("web/app.js droneClasses %v, want %v (event.DroneClasses)", got, event.DroneClasses)
	}
}
