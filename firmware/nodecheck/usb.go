package nodecheck

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/rfwarden/rfwarden/firmware/hackrf"
)

// greatScottVendor is the USB vendor ID of Great Scott Gadgets' HackRF
// family (OpenMoko's 1d50 allocation).
const greatScottVendor = "1d50"

// usbProducts names the HackRF family's USB product IDs in normal (not
// DFU) mode.
var usbProducts = map[string]string{"6089": "HackRF One", "604b": "HackRF Jawbreaker", "cc15": "rad1o"}

// usbDevice is one HackRF as sysfs shows it.
type usbDevice struct {
	path, product, serial, speed, busnum, devnum string
}

// findUSB lists HackRF boards under a sysfs /sys/bus/usb/devices view.
func findUSB(sys fs.FS) ([]usbDevice, error) {
	entries, err := fs.ReadDir(sys, ".")
	if err != nil {
		return nil, err
	}
	read := func(dir, name string) string {
		b, err := fs.ReadFile(sys, dir+"/"+name)
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	var devs []usbDevice
	for _, e := range entries {
		dir := e.Name()
		if read(dir, "idVendor") != greatScottVendor {
			continue
		}
		product, ok := usbProducts[read(dir, "idProduct")]
		if !ok {
			continue
		}
		devs = append(devs, usbDevice{path: dir, product: product, serial: read(dir, "serial"), speed: read(dir, "speed"),
			busnum: read(dir, "busnum"), devnum: read(dir, "devnum")})
	}
	sort.Slice(devs, func(i, j int) bool { return devs[i].path < devs[j].path })
	return devs, nil
}

// checkUSB reports the board's USB link: a HackRF streams 20 Msps of ci8
// (40 MB/s) and needs a USB 2.0 high-speed (480 Mb/s) link.
func checkUSB(sys fs.FS, board *hackrf.Info) Check {
	c := Check{Name: "usb"}
	if sys == nil {
		c.Status, c.Detail = Skip, "no sysfs view"
		return c
	}
	devs, err := findUSB(sys)
	if errors.Is(err, fs.ErrNotExist) {
		c.Status, c.Detail = Skip, "no sysfs USB view (/sys/bus/usb/devices): container or not Linux"
		return c
	}
	if err != nil {
		c.Status, c.Detail = Skip, fmt.Sprintf("cannot read sysfs USB devices: %v", err)
		return c
	}
	if len(devs) == 0 {
		c.Status, c.Detail = Fail, "no HackRF on the USB bus (vendor 1d50, product 6089/604b/cc15)"
		c.Hint = "a board in DFU mode shows as 1fc9:000c: flash it with hackrf_spiflash; otherwise check the cable"
		return c
	}
	dev := devs[0]
	if board != nil {
		for _, d := range devs {
			if d.serial != "" && strings.EqualFold(strings.TrimLeft(d.serial, "0"), strings.TrimLeft(board.Serial, "0")) {
				dev = d
				break
			}
		}
	}
	c.Detail = fmt.Sprintf("%s on bus %s device %s (%s), %s Mb/s", dev.product, dev.busnum, dev.devnum, dev.path, dev.speed)
	switch dev.speed {
	case "480":
		c.Status = OK
	case "":
		c.Status, c.Detail = Warn, c.Detail[:strings.LastIndex(c.Detail, ",")]+", link speed unknown"
	default:
		c.Status = Warn
		c.Hint = "the link is not USB 2.0 high speed: samples will drop; use a direct port and a short data cable, no hub"
	}
	return c
}
