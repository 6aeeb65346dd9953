package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rfwarden/rfwarden/firmware/provision"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/publish"
)

// checkSensorFiles reports, for --check, what the service would fail on
// at start in the files node.yaml names, opened as the user --check runs
// as (the unit's ExecStartPre runs as the service's user, in its
// sandbox): mqtt.password_file unreadable or empty, mqtt.ca_file without
// a PEM certificate, mqtt.cert_file and key_file not a pair, either
// certificate one the broker would refuse or take for another sensor's
// user (provision.CheckNodeCertsDatesApart, as node bundle checks), and
// the outbox and snippets folders that cannot be written or created. The
// first failure is returned, naming its key. A certificate outside its
// validity period at now is a note, not a failure: the service starts,
// detects into its outbox while the broker refuses it, and delivers once
// the certificate is renewed or the clock set; failing here, the unit's
// ExecStartPre, would stop the sensor at every boot with its clock behind.
func checkSensorFiles(cfg config.Config, now time.Time) (notes []string, err error) {
	m := cfg.MQTT
	if m.PasswordFile != "" {
		pw, err := publish.ReadPasswordFile(m.PasswordFile)
		switch {
		case err != nil:
			return nil, fmt.Errorf("mqtt.password_file %q: %w", m.PasswordFile, err)
		case pw == "":
			return nil, fmt.Errorf("mqtt.password_file %q: empty: its first line is the password", m.PasswordFile)
		}
	}
	if m.CAFile != "" {
		if _, err := publish.TLSConfig(m.CAFile, "", ""); err != nil {
			return nil, fmt.Errorf("mqtt.ca_file %q: %w", m.CAFile, err)
		}
	}
	if m.CertFile != "" || m.KeyFile != "" {
		for _, f := range []struct{ key, path string }{{"mqtt.cert_file", m.CertFile}, {"mqtt.key_file", m.KeyFile}} {
			if err := readable(f.path); err != nil {
				return nil, fmt.Errorf("%s %q: %w", f.key, f.path, err)
			}
		}
		if _, err := publish.TLSConfig("", m.CertFile, m.KeyFile); err != nil {
			return nil, fmt.Errorf("mqtt.cert_file %q and mqtt.key_file %q: %w", m.CertFile, m.KeyFile, err)
		}
	}
	dates, err := checkNodeCerts(cfg, now)
	if err != nil {
		return nil, err
	}
	if dates != nil {
		notes = append(notes, fmt.Sprintf("%v; until then the broker refuses this node's TLS connection, and the sensor keeps its detections in outbox.dir (%s, up to outbox.quota_bytes) and sends them once it connects",
			dates, cfg.Outbox.Dir))
	}
	if err := writableDir(cfg.Outbox.Dir); err != nil {
		return nil, fmt.Errorf("outbox.dir %q: %w", cfg.Outbox.Dir, err)
	}
	// The service creates snippets.dir at start (agent.snippets.init) and
	// exits if it cannot.
	if d := cfg.Snippets.Dir; d != "" {
		if err := writableDir(d); err != nil {
			return nil, fmt.Errorf("snippets.dir %q: %w", d, err)
		}
	}
	return notes, nil
}

// readable opens path for reading and closes it.
func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return f.Close()
}

// writableDir reports whether a file can be made in dir, or, when dir
// does not exist yet, in its nearest existing ancestor (the service
// creates the rest), without leaving anything behind.
func writableDir(dir string) error {
	d := dir
	for {
		fi, err := os.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s is not a directory", d)
			}
			break
		}
		if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		up := filepath.Dir(d)
		if up == d {
			return err
		}
		d = up
	}
	f, err := os.CreateTemp(d, ".rfwarden-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", d, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// checkNodeCerts reads mqtt.ca_file and mqtt.cert_file, when node.yaml
// names them, and checks them with provision.CheckNodeCertsDatesApart:
// dates is a certificate outside its validity period at now.
func checkNodeCerts(cfg config.Config, now time.Time) (dates, err error) {
	var ca, cert []byte
	for _, f := range []struct {
		key, path string
		data      *[]byte
	}{{"mqtt.ca_file", cfg.MQTT.CAFile, &ca}, {"mqtt.cert_file", cfg.MQTT.CertFile, &cert}} {
		if f.path == "" {
			continue
		}
		b, err := os.ReadFile(f.path)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", f.key, f.path, err)
		}
		*f.data = b
	}
	return provision.CheckNodeCertsDatesApart(ca, cert, cfg, now)
}
