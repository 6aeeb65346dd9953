package store

import (
	"bytes"
	"maps"
	"strings"
	"testing"
)

// influxAnswers are FuzzInfluxAnswer's seeds (testdata/fuzz/FuzzInfluxAnswer
// has them too): answers InfluxDB 1.8 gives to the heat roll-up's and its
// rebuild's queries, and ones it does not.
var influxAnswers = map[string]string{
	"locations": `{"results":[{"statement_id":0,"series":[{"name":"location","columns":["time","track"],` +
		`"values":[[1800000000000000000,"t-1"],[1800000000000000000,"t-2"],[1800000001000000000,null]]}]}]}`,
	"detections": `{"results":[{"statement_id":0,"series":[{"name":"detection","tags":{"site":"hmp1","sensor":"s1","room":"a-101"},` +
		`"columns":["time","body","lead"],"values":[[1800000000000000000,"{\"track\":\"t-1\"}",true],[1800000000000000000,"{\"track\":\"t-2\"}",null]]}]}]}`,
	"heat-hours": `{"results":[{"statement_id":0,"series":[{"name":"heat","columns":["time","written","rolled","target","all"],` +
		`"values":[[1800000000000000000,7,7,"a-101=3&_=1","a-101=5&cell%2B1=2"]]}]}]}`,
	"counts": `{"results":[{"statement_id":0,"series":[{"name":"detection","tags":{"room":"a-101","class":"lte","link":"uplink"},` +
		`"columns":["time","count"],"values":[[1800000000000000000,12],[1800003600000000000,null]]}]}]}`,
	// not InfluxDB's: rows shorter than their columns, wrong types, errors
	"short-rows":     `{"results":[{"series":[{"columns":["time","track"],"values":[[1800000000000000000],[],["x"]]}]}]}`,
	"wrong-types":    `{"results":[{"series":[{"columns":["time","track"],"values":[["2026-01-01",{"a":1}],[1.5e300,[1,2]]]}]}]}`,
	"statement-err":  `{"results":[{"statement_id":0,"error":"database not found: rfw"}]}`,
	"request-err":    `{"error":"authorization failed"}`,
	"bad-room-count": `{"results":[{"series":[{"columns":["time","written","rolled","all"],"values":[[1,1,1,"a-101=x&%zz=1&="]]}]}]}`,
	"not-json":       `<html>502 Bad Gateway</html>`,
}

// FuzzInfluxAnswer feeds InfluxDB's answer to a /query request, as the
// heat roll-up and its rebuild read it, whatever a server (or something
// posing as one) sends: the answer is decoded or refused with an error
// saying so, and every reader of its rows takes rows of any length and
// type without failing. A row shorter than its query's columns panicked
// the rebuild (TestInfluxRowsShort). Encoded room counts that decode
// encode back to the same counts.
func FuzzInfluxAnswer(f *testing.F) {
	for _, a := range influxAnswers {
		f.Add([]byte(a), uint8(1))
	}
	f.Fuzz(func(t *testing.T, body []byte, stmts uint8) {
		if stmts == 0 || stmts > 8 {
			t.Skip("one to eight statements a request")
		}
		res, err := decodeQL(bytes.NewReader(body), make([]string, stmts))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "query") {
				t.Errorf("refusal %q does not say it is the query's answer", err)
			}
			return
		}
		if len(res) != int(stmts) {
			t.Fatalf("%d results for %d statements", len(res), stmts)
		}
		for _, r := range res {
			tracks, n := locationTracks(r)
			got := 0
			for _, ts := range tracks {
				got += len(ts)
			}
			if got != n {
				t.Errorf("locationTracks: %d tracks, counted %d", got, n)
			}
			cands := map[int64][]leadCand{}
			addLeadCands(cands, r, tracks)
			for at := range cands {
				if tracks[at] == nil {
					t.Errorf("lead candidates at %d, where no track was located", at)
				}
			}
			_ = eachCount(r, func(map[string]string, int64, int64) {})
			for _, sr := range r.Series {
				for _, row := range sr.Values {
					if heatCurrent(row) && !heatClean(row) {
						t.Errorf("row %v current but not clean", row)
					}
					for _, cell := range row {
						checkRoomCounts(t, cell)
					}
				}
			}
		}
	})
}

// checkRoomCounts decodes cell as encoded room counts and, when it
// decodes, checks that they encode back to the same counts.
func checkRoomCounts(t *testing.T, cell any) {
	t.Helper()
	counts := map[heatCellKey]int64{}
	if addEncodedCounts(counts, 0, cell) != nil {
		return
	}
	byTag := map[string]int64{}
	for k, n := range counts {
		byTag[tagValue(k.room)] += n
	}
	again := map[heatCellKey]int64{}
	enc := encodeRoomCounts(byTag)
	if err := addEncodedCounts(again, 0, enc); err != nil {
		t.Fatalf("%q decoded to %v, whose encoding %q does not decode: %v", cell, counts, enc, err)
	}
	if !maps.Equal(counts, again) {
		t.Errorf("%q decoded to %v; encoded again %q, to %v", cell, counts, enc, again)
	}
}

// TestInfluxRowsShort: rows shorter than their query's columns (an
// answer not of that query, or of a server posing as InfluxDB) are
// skipped or taken without a track; the rebuild of the heat roll-up
// indexed their second column and panicked, taking fusion down.
func TestInfluxRowsShort(t *testing.T) {
	res, err := decodeQL(strings.NewReader(`{"results":[{"series":[{"columns":["time","track"],"values":[[1],[],[2,"t-2"]]}]}]}`), []string{"SELECT track"})
	if err != nil {
		t.Fatal(err)
	}
	tracks, n := locationTracks(res[0])
	if n != 2 || len(tracks[1]) != 1 || tracks[1][0] != "" || len(tracks[2]) != 1 || tracks[2][0] != "t-2" {
		t.Errorf("locationTracks: %v (%d rows), want 1: [\"\"], 2: [t-2] (2 rows)", tracks, n)
	}
	cands := map[int64][]leadCand{}
	addLeadCands(cands, res[0], tracks) // rows of one column: no body to read
	if len(cands) != 0 {
		t.Errorf("lead candidates from rows without a body: %v", cands)
	}
}
