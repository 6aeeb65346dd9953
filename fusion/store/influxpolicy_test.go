package store

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestCreateDatabaseQL: the database the store creates gets its policy RP
// of DatabaseDuration in whole hours (at least 1h, InfluxDB's least), or
// INF when for ever is asked; the zero value is a plain CREATE DATABASE
// (autogen, for ever). Names are quoted.
func TestCreateDatabaseQL(t *testing.T) {
	tests := []struct {
		name string
		cfg  InfluxConfig
		want string
	}{
		{name: "90 days", cfg: InfluxConfig{Database: "rfwarden", RP: "autogen", DatabaseDuration: 90 * 24 * time.Hour},
			want: `CREATE DATABASE "rfwarden" WITH DURATION 2160h NAME "autogen"`},
		{name: "a part hour rounds up", cfg: InfluxConfig{Database: "db", RP: "d", DatabaseDuration: 90 * time.Minute},
			want: `CREATE DATABASE "db" WITH DURATION 2h NAME "d"`},
		{name: "for ever asked", cfg: InfluxConfig{Database: "db", RP: "forever", DatabaseDuration: -1},
			want: `CREATE DATABASE "db" WITH DURATION INF NAME "forever"`},
		{name: "zero value", cfg: InfluxConfig{Database: "db", RP: "autogen"}, want: `CREATE DATABASE "db"`},
		{name: "quoted", cfg: InfluxConfig{Database: `a"b`, RP: `c"d`, DatabaseDuration: time.Hour},
			want: `CREATE DATABASE "a\"b" WITH DURATION 1h NAME "c\"d"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := createDatabaseQL(tc.cfg); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestQLPolicyDuration reads a policy's duration from InfluxDB 1.8's
// answer to SHOW RETENTION POLICIES, by its column's name; one not
// listed or not readable is not found.
func TestQLPolicyDuration(t *testing.T) {
	const answer = `[{"series":[{"columns":["name","duration","shardGroupDuration","replicaN","default"],
		"values":[["autogen","0s","168h0m0s",1,false],["d90","2160h0m0s","24h0m0s",1,true],["odd","soon","1h0m0s",1,false]]}]}]`
	var res []qlResult
	dec := json.NewDecoder(strings.NewReader(answer))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		rp     string
		want   time.Duration
		wantOK bool
	}{
		{rp: "autogen", want: 0, wantOK: true},
		{rp: "d90", want: 90 * 24 * time.Hour, wantOK: true},
		{rp: "odd", wantOK: false},
		{rp: "missing", wantOK: false},
	}
	for _, tc := range tests {
		t.Run(tc.rp, func(t *testing.T) {
			got, ok := qlPolicyDuration(res, tc.rp)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("got %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
	p := InfluxPolicy{Database: "rfwarden", Name: "autogen"}
	if got, want := p.AlterQL(90*24*time.Hour), `ALTER RETENTION POLICY "autogen" ON "rfwarden" DURATION 90d`; got != want {
		t.Errorf("AlterQL: got %s, want %s", got, want)
	}
}
