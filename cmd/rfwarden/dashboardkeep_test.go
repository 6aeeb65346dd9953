package main

import (
	"strings"
	"testing"
)

// TestParseRetention: the dashboard's retention settings parse days and
// byte counts with units, and a bad one is refused naming its variable.
func TestParseRetention(t *testing.T) {
	tests := []struct {
		name                           string
		evDays, evMax, up, search, min string
		want                           dashboardKeep
		wantErr                        string
	}{
		{name: "defaults", evDays: "90", evMax: "20GiB", up: "30", search: "365", min: "2GiB",
			want: dashboardKeep{evidenceDays: 90, uploadDays: 30, searchDays: 365, evidenceMaxBytes: 20 << 30, minFreeBytes: 2 << 30}},
		{name: "plain bytes and zeros", evDays: "0", evMax: "1048576", up: "0", search: "0", min: "0",
			want: dashboardKeep{evidenceMaxBytes: 1 << 20}},
		{name: "units", evDays: "1", evMax: "512 MiB", up: "1", search: "1", min: "3TiB",
			want: dashboardKeep{evidenceDays: 1, uploadDays: 1, searchDays: 1, evidenceMaxBytes: 512 << 20, minFreeBytes: 3 << 40}},
		{name: "negative days", evDays: "-1", evMax: "0", up: "1", search: "1", min: "0", wantErr: `RFW_EVIDENCE_DAYS (--evidence-days) "-1"`},
		{name: "days not a number", evDays: "1", evMax: "0", up: "a month", search: "1", min: "0", wantErr: `RFW_UPLOAD_DAYS (--upload-days) "a month"`},
		{name: "decimal bytes unit", evDays: "1", evMax: "20GB", up: "1", search: "1", min: "0", wantErr: `RFW_EVIDENCE_MAX_BYTES (--evidence-max-bytes): "20GB" is not a byte count`},
		{name: "overflow", evDays: "1", evMax: "0", up: "1", search: "1", min: "99999999999TiB", wantErr: "RFW_MIN_FREE_BYTES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRetention(tt.evDays, tt.evMax, tt.up, tt.search, tt.min)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseRetention = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
