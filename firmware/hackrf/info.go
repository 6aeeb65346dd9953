package hackrf

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrNoDevice means hackrf_info found no board.
var ErrNoDevice = errors.New("no HackRF boards found")

// Info describes one board as hackrf_info reports it.
type Info struct {
	Index           int    // "Index:"
	Serial          string // "Serial number:", hex without leading "0x"
	BoardID         int    // "Board ID Number:" number
	BoardName       string // name in parentheses, e.g. "HackRF One"
	FirmwareVersion string // "Firmware Version:", e.g. "2023.01.1"
	APIVersion      string // "(API:1.07)" part, e.g. "1.07"
	PartID          string // "Part ID Number:"
	HardwareRev     string // "Hardware Revision:", if printed
}

// ParseInfo parses hackrf_info output into one Info per "Found HackRF"
// section. It returns ErrNoDevice when the output says none was found or
// has no section, and an error naming the line for a malformed value.
func ParseInfo(out string) ([]Info, error) {
	var infos []Info
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 4096), 1<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "Found HackRF" {
			infos = append(infos, Info{Index: len(infos)})
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok || len(infos) == 0 {
			continue
		}
		cur := &infos[len(infos)-1]
		val = strings.TrimSpace(val)
		switch key {
		case "Index":
			i, err := strconv.Atoi(val)
			if err != nil || i < 0 {
				return nil, fmt.Errorf("hackrf_info line %d: index %q", lineNo, val)
			}
			cur.Index = i
		case "Serial number":
			cur.Serial = strings.TrimPrefix(val, "0x")
		case "Board ID Number":
			num, name, _ := strings.Cut(val, " ")
			id, err := strconv.Atoi(num)
			if err != nil {
				return nil, fmt.Errorf("hackrf_info line %d: board ID %q", lineNo, val)
			}
			cur.BoardID = id
			cur.BoardName = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(name), "("), ")")
		case "Firmware Version":
			v, api, _ := strings.Cut(val, "(API:")
			cur.FirmwareVersion = strings.TrimSpace(v)
			cur.APIVersion = strings.TrimSuffix(strings.TrimSpace(api), ")")
		case "Part ID Number":
			cur.PartID = val
		case "Hardware Revision":
			cur.HardwareRev = val
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read hackrf_info output: %w", err)
	}
	if len(infos) == 0 {
		return nil, ErrNoDevice
	}
	return infos, nil
}
