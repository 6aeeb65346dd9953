package english

import (
	"strconv"
	"strings"
)

// Integer is any integer type a count can have.
type Integer interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// Plural returns one when n is 1, else many: "1 file", "0 files",
// "2 files".
func Plural[N Integer](n N, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Some lists the first most of items, comma-separated, and how many more
// there are: "a, b, c and 4 more"; all of them when there are no more.
func Some(items []string, most int) string {
	if len(items) <= most {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:most], ", ") + " and " + strconv.Itoa(len(items)-most) + " more"
}
