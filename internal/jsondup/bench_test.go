package jsondup

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkCheck: a detection payload of package event (hundreds of
// bytes, one object, decoded thousands of times a second by fusion) and
// SigMF metadata of 10,000 annotations (about 1 MB).
func BenchmarkCheck(b *testing.B) {
	det := `{"schema":1,"id":"s1-42","site":"hmp-a","sensor":"s1","time_ns":1700000000000000000,"duration_ns":1000000,` +
		`"center_hz":1950000000,"bandwidth_hz":5000000,"power_dbm":-60,"snr_db":20,"band":"n1","link":"uplink","class":"nr",` +
		`"confidence":0.8,"sample_start":100,"sample_count":2000,"label":"NR uplink (NR n1, 15 kHz SCS)"}`
	var meta strings.Builder
	meta.WriteString(`{"global":{"core:datatype":"ci8","core:sample_rate":20000000,"core:version":"1.0.0"},` +
		`"captures":[{"core:sample_start":0,"core:frequency":1950000000}],"annotations":[`)
	for i := range 10000 {
		if i > 0 {
			meta.WriteByte(',')
		}
		fmt.Fprintf(&meta, `{"core:sample_start":%d,"core:sample_count":2000,"core:freq_lower_edge":1.9475e9,"core:freq_upper_edge":1.9525e9,"core:label":"lte"}`, i*4000)
	}
	meta.WriteString(`]}`)
	for _, c := range []struct{ name, data string }{{"detection", det}, {"sigmf-10k-annotations", meta.String()}} {
		data := []byte(c.data)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := Check(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
