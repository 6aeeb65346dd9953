package provision

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/rfwarden/rfwarden/sensor/config"
)

// CheckNodeCerts checks a node's PEM certificates at now as a broker that
// requires client certificates will (docs/deploy.md §2, §3): ca, the CA
// of mqtt.ca_file, and cert, the client certificate of mqtt.cert_file,
// parse (ParseCerts: in their validity period); cert is signed by ca for
// client authentication; and cert's CN is cfg.Sensor, since Mosquitto's
// use_identity_as_username makes the CN alone (not a subjectAltName) the
// node's user and the ACL lets a user write only under its own name
// (unless cfg.MQTT.CustomACL, as for mqtt.username). A nil ca or cert is
// not checked, nor the chain without both. "node bundle" and "sensor
// --check" both run it.
func CheckNodeCerts(ca, cert []byte, cfg config.Config, now time.Time) error {
	var roots []*x509.Certificate
	if ca != nil {
		var err error
		if roots, err = ParseCerts(ca, now); err != nil {
			return fmt.Errorf("CA (mqtt.ca_file): %w", err)
		}
	}
	if cert == nil {
		return nil
	}
	chain, err := ParseCerts(cert, now)
	if err != nil {
		return fmt.Errorf("client certificate (mqtt.cert_file): %w", err)
	}
	leaf := chain[0]
	if !cfg.MQTT.CustomACL && leaf.Subject.CommonName != cfg.Sensor {
		return fmt.Errorf("client certificate (mqtt.cert_file): its CN is %q, not the sensor ID %q: a broker with use_identity_as_username makes the CN this node's user, and the ACL lets a user write only under its own name, so every publish would be discarded; make the certificate with CN=%s (docs/deploy.md §2), or set mqtt.custom_acl: true if the broker has this node's own user block (docs/deploy.md §3)",
			leaf.Subject.CommonName, cfg.Sensor, cfg.Sensor)
	}
	if roots == nil {
		return nil
	}
	opts := x509.VerifyOptions{Roots: x509.NewCertPool(), Intermediates: x509.NewCertPool(), CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	for _, c := range roots {
		opts.Roots.AddCert(c)
	}
	for _, c := range chain[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := leaf.Verify(opts); err != nil {
		return fmt.Errorf("client certificate (mqtt.cert_file) %q is not one the broker accepts from a node: %w: it must be signed by the site CA in mqtt.ca_file and allow client authentication (extendedKeyUsage=clientAuth; docs/deploy.md §2)",
			leaf.Subject.CommonName, err)
	}
	return nil
}

// CheckNodeCertsDatesApart checks ca and cert as CheckNodeCerts does,
// but returns a certificate outside its validity period at now apart, as
// dates, with the CN and chain checked at the latest moment every
// certificate of ca and cert has begun (so a node whose clock is behind,
// or whose certificate lapsed, is still told of a wrong CN or CA); err is
// any other problem, or the certificates were never valid together.
// "sensor --check" runs it: the sensor keeps detecting into its outbox
// while the broker refuses it, where "node bundle" refuses the dates too.
func CheckNodeCertsDatesApart(ca, cert []byte, cfg config.Config, now time.Time) (dates, err error) {
	var begun time.Time // the latest NotBefore
	for _, f := range []struct {
		what string
		data []byte
	}{{"CA (mqtt.ca_file)", ca}, {"client certificate (mqtt.cert_file)", cert}} {
		certs, err := decodeCerts(f.data)
		if f.data == nil || err != nil {
			continue // CheckNodeCerts says what is wrong
		}
		for _, c := range certs {
			if err := checkDates(c, now); err != nil && dates == nil {
				dates = fmt.Errorf("%s: %w", f.what, err)
			}
			if c.NotBefore.After(begun) {
				begun = c.NotBefore
			}
		}
	}
	if dates == nil {
		return nil, CheckNodeCerts(ca, cert, cfg, now)
	}
	return dates, CheckNodeCerts(ca, cert, cfg, begun)
}

// ParseCerts decodes every PEM CERTIFICATE block of data and rejects
// other block types and certificates outside their validity period at
// now: expired, or valid only from a later time.
func ParseCerts(data []byte, now time.Time) ([]*x509.Certificate, error) {
	certs, err := decodeCerts(data)
	if err != nil {
		return nil, err
	}
	for _, c := range certs {
		if err := checkDates(c, now); err != nil {
			return nil, err
		}
	}
	return certs, nil
}

// decodeCerts decodes every PEM CERTIFICATE block of data and rejects
// other block types; it does not look at the dates.
func decodeCerts(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			if len(bytes.TrimSpace(rest)) > 0 {
				return nil, errors.New("trailing data that is not PEM")
			}
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block %q, want CERTIFICATE", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	return certs, nil
}

// checkDates says what to do when c is outside its validity period at
// now: expired, or valid only from a later time.
func checkDates(c *x509.Certificate, now time.Time) error {
	switch {
	case now.After(c.NotAfter):
		return fmt.Errorf("certificate %q expired on %s: renew it (docs/deploy.md §2)", c.Subject.CommonName, c.NotAfter.UTC().Format(time.DateOnly))
	case now.Before(c.NotBefore):
		return fmt.Errorf("certificate %q is valid only from %s, and it is %s here: check this host's clock and the clock of the machine that made it, or wait until then",
			c.Subject.CommonName, c.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}
