package sigmftest

import "encoding/binary"

// WAVSpec describes the WAV file WAV makes: its fmt chunk's format tag (1
// PCM, 3 float, 0xfffe extensible with a float sub-format), channels,
// sample rate and bits per sample, the chunks before and after the data
// chunk (each a 4-byte id then its body), and the data chunk's size field
// (0: the data's length; 0xffffffff as a writer that never filled it in).
type WAVSpec struct {
	Tag, Channels, RateHz, Bits int
	Before, After               []string
	DataSize                    int64
}

// WAV returns a RIFF/WAVE file of data as s describes it, as SDR++, SDR#
// and HDSDR write IQ: the fmt chunk first, then s.Before, the data chunk,
// and s.After, each padded to an even size.
func WAV(s WAVSpec, data []byte) []byte {
	chunk := func(id string, body []byte) []byte {
		b := binary.LittleEndian.AppendUint32([]byte(id), uint32(len(body)))
		b = append(b, body...)
		if len(body)%2 == 1 {
			b = append(b, 0)
		}
		return b
	}
	f := binary.LittleEndian.AppendUint16(nil, uint16(s.Tag))
	f = binary.LittleEndian.AppendUint16(f, uint16(s.Channels))
	f = binary.LittleEndian.AppendUint32(f, uint32(s.RateHz))
	f = binary.LittleEndian.AppendUint32(f, uint32(s.RateHz*s.Channels*s.Bits/8))
	f = binary.LittleEndian.AppendUint16(f, uint16(s.Channels*s.Bits/8))
	f = binary.LittleEndian.AppendUint16(f, uint16(s.Bits))
	if s.Tag == 0xfffe { // cbSize, valid bits, channel mask, the float sub-format's GUID
		f = binary.LittleEndian.AppendUint16(f, 22)
		f = binary.LittleEndian.AppendUint16(f, uint16(s.Bits))
		f = binary.LittleEndian.AppendUint32(f, 3)
		f = append(f, 3, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71)
	}
	body := append([]byte("WAVE"), chunk("fmt ", f)...)
	for _, c := range s.Before {
		body = append(body, chunk(c[:4], []byte(c[4:]))...)
	}
	d := chunk("data", data)
	if s.DataSize != 0 {
		binary.LittleEndian.PutUint32(d[4:], uint32(s.DataSize))
	}
	body = append(body, d...)
	for _, c := range s.After {
		body = append(body, chunk(c[:4], []byte(c[4:]))...)
	}
	return append(binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(len(body))), body...)
}
