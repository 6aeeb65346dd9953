package hackrf

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrSweepLine means a hackrf_sweep output line is malformed.
var ErrSweepLine = errors.New("malformed hackrf_sweep line")

// SweepRow is one hackrf_sweep CSV line: the power of NumBins equal bins
// from LowHz to HighHz measured at Time.
type SweepRow struct {
	Time       time.Time // date and time columns, in the local zone of the tool (parsed as UTC)
	LowHz      int64     // hz_low
	HighHz     int64     // hz_high
	BinWidthHz float64   // hz_bin_width
	NumSamples int       // num_samples: FFT input samples per bin estimate
	PowersDB   []float64 // power per bin, dB (relative, uncalibrated)
}

// maxSweepBins bounds the bins accepted on one line.
const maxSweepBins = 1 << 16

// ParseSweepLine parses one hackrf_sweep CSV line, for example
// "2019-06-04, 14:29:42.370282, 2400000000, 2405000000, 1000000.00, 20, -63.87, -64.20".
// PowersDB is appended to dst[:0] so a caller can reuse it. Errors wrap
// ErrSweepLine and name the column.
func ParseSweepLine(line string, dst []float64) (SweepRow, error) {
	line = strings.TrimRight(line, "\r\n")
	var cols [6]string
	rest := line
	for i := range cols {
		c, r, ok := strings.Cut(rest, ",")
		if !ok && i < len(cols)-1 {
			return SweepRow{}, fmt.Errorf("%w: %d columns, want at least 7", ErrSweepLine, i+1)
		}
		cols[i] = strings.TrimSpace(c)
		rest = r
		if !ok {
			rest = ""
		}
	}
	ts, err := time.Parse("2006-01-02 15:04:05.999999999", cols[0]+" "+cols[1])
	if err != nil {
		return SweepRow{}, fmt.Errorf("%w: date/time %q %q", ErrSweepLine, cols[0], cols[1])
	}
	var row SweepRow
	row.Time = ts
	if row.LowHz, err = strconv.ParseInt(cols[2], 10, 64); err != nil || row.LowHz < 0 {
		return SweepRow{}, fmt.Errorf("%w: hz_low %q", ErrSweepLine, cols[2])
	}
	if row.HighHz, err = strconv.ParseInt(cols[3], 10, 64); err != nil || row.HighHz <= row.LowHz {
		return SweepRow{}, fmt.Errorf("%w: hz_high %q (hz_low %d)", ErrSweepLine, cols[3], row.LowHz)
	}
	if row.BinWidthHz, err = strconv.ParseFloat(cols[4], 64); err != nil || !(row.BinWidthHz > 0) || math.IsInf(row.BinWidthHz, 0) {
		return SweepRow{}, fmt.Errorf("%w: hz_bin_width %q", ErrSweepLine, cols[4])
	}
	n, err := strconv.Atoi(cols[5])
	if err != nil || n <= 0 {
		return SweepRow{}, fmt.Errorf("%w: num_samples %q", ErrSweepLine, cols[5])
	}
	row.NumSamples = n
	dst = dst[:0]
	for rest != "" || len(dst) == 0 {
		c, r, ok := strings.Cut(rest, ",")
		c = strings.TrimSpace(c)
		v, err := strconv.ParseFloat(c, 64)
		if c == "-nan" || c == "nan" { // glibc printf of NaN
			v, err = math.NaN(), nil
		}
		if err != nil || math.IsInf(v, 0) {
			return SweepRow{}, fmt.Errorf("%w: dB column %d %q", ErrSweepLine, len(dst), c)
		}
		if len(dst) == maxSweepBins {
			return SweepRow{}, fmt.Errorf("%w: more than %d bins", ErrSweepLine, maxSweepBins)
		}
		dst = append(dst, v) // NaN is kept: hackrf_sweep prints -nan for empty bins
		rest = r
		if !ok {
			break
		}
	}
	row.PowersDB = dst
	return row, nil
}

// SweepReader reads SweepRows from hackrf_sweep output, line by line.
type SweepReader struct {
	sc   *bufio.Scanner
	line int
	buf  []float64
}

// NewSweepReader returns a SweepReader over r.
func NewSweepReader(r io.Reader) *SweepReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	return &SweepReader{sc: sc}
}

// Next returns the next row, skipping blank lines, or io.EOF at the end.
// The row's PowersDB is reused by the following call.
func (s *SweepReader) Next() (SweepRow, error) {
	for s.sc.Scan() {
		s.line++
		text := s.sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		row, err := ParseSweepLine(text, s.buf)
		if err != nil {
			return SweepRow{}, fmt.Errorf("line %d: %w", s.line, err)
		}
		s.buf = row.PowersDB
		return row, nil
	}
	if err := s.sc.Err(); err != nil {
		return SweepRow{}, fmt.Errorf("read sweep line %d: %w", s.line+1, err)
	}
	return SweepRow{}, io.EOF
}
