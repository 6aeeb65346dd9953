package english

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
