package deploy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/mqttlink"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// writeCerts makes a CA and a broker certificate for 127.0.0.1 in dir.
func writeCerts(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rfwarden test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "broker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	write := func(name, typ string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ca.crt", "CERTIFICATE", caDER)
	write("broker.crt", "CERTIFICATE", der)
	write("broker.key", "EC PRIVATE KEY", keyDER)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool
}

// startMosquitto runs Debian's mosquitto with the production ACL file, a
// password file and a TLS listener on 127.0.0.1.
func startMosquitto(t *testing.T, users map[string]string) (addr string, pool *x509.CertPool) {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/mosquitto"); err2 != nil {
			t.Skip("mosquitto not installed: run scripts/install-deps.sh")
		}
		bin = "/usr/sbin/mosquitto"
	}
	passwdBin, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		t.Skip("mosquitto_passwd not installed")
	}
	dir := t.TempDir()
	pool = writeCerts(t, dir)
	pw := filepath.Join(dir, "passwd")
	os.WriteFile(pw, nil, 0o600)
	for u, p := range users {
		if out, err := exec.Command(passwdBin, "-b", pw, u, p).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v: %s", err, out)
		}
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := fmt.Sprintf(`user root
per_listener_settings false
allow_anonymous false
password_file %s
acl_file %s
persistence false
log_dest stderr
log_type error
listener %d 127.0.0.1
cafile %s
certfile %s
keyfile %s
`, pw, filepath.Join("mosquitto", "rfwarden.acl"), port, filepath.Join(dir, "ca.crt"), filepath.Join(dir, "broker.crt"), filepath.Join(dir, "broker.key"))
	confPath := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", confPath)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, pool
		}
	}
	t.Fatalf("mosquitto did not listen on %s: %s", addr, stderr.String())
	return "", nil
}

func connect(t *testing.T, addr string, pool *x509.CertPool, user, pass string) (mqtt.Client, error) {
	opts := mqttlink.NewClientOptions().AddBroker("ssl://" + addr).SetClientID(user + "-test").
		SetUsername(user).SetPassword(pass).SetTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}).
		SetConnectTimeout(5 * time.Second).SetAutoReconnect(false)
	c := mqtt.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		return nil, fmt.Errorf("connect %s: timeout", user)
	}
	if tok.Error() != nil {
		return nil, tok.Error()
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c, nil
}

// TestSensorCannotPublishAsAnother proves the production ACL over TLS: sensor
// s1 publishing on s2's detection topic is dropped by the broker, while its
// own topic reaches fusion; a wrong password is refused at connect.
func TestSensorCannotPublishAsAnother(t *testing.T) {
	addr, pool := startMosquitto(t, map[string]string{"s1": "pw-s1", "s2": "pw-s2", "fusion": "pw-fusion"})
	fusion, err := connect(t, addr, pool, "fusion", "pw-fusion")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 10)
	if tok := fusion.Subscribe("rfw/v1/+/sensor/+/detection", 1, func(_ mqtt.Client, m mqtt.Message) {
		got <- m.Topic() + " " + string(m.Payload())
	}); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	s1, err := connect(t, addr, pool, "s1", "pw-s1")
	if err != nil {
		t.Fatal(err)
	}
	// Forged first, then genuine: the broker keeps one connection's order, so
	// once the genuine message arrives a forged one would already be here.
	for _, m := range []struct{ topic, body string }{
		{"rfw/v1/site1/sensor/s2/detection", "forged"},
		{"rfw/v1/site1/sensor/s1/detection", "genuine"},
	} {
		tok := s1.Publish(m.topic, 1, false, m.body)
		tok.WaitTimeout(5 * time.Second)
	}
	select {
	case msg := <-got:
		if msg != "rfw/v1/site1/sensor/s1/detection genuine" {
			t.Fatalf("fusion received %q: the ACL let s1 publish as s2", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("fusion did not receive s1's genuine detection")
	}
	select {
	case msg := <-got:
		t.Fatalf("unexpected extra message %q", msg)
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := connect(t, addr, pool, "s2", "wrong"); err == nil {
		t.Fatal("broker accepted a wrong password")
	}
	if _, err := connect(t, addr, pool, "intruder", "x"); err == nil {
		t.Fatal("broker accepted an unknown user")
	}
}

// TestSensorReadsOnlyItsOwnCommands proves the production ACL for fusion's
// commands: fusion may publish on a sensor's cmd topic, that sensor
// receives it, and another sensor subscribing to it receives nothing.
func TestSensorReadsOnlyItsOwnCommands(t *testing.T) {
	addr, pool := startMosquitto(t, map[string]string{"s1": "pw-s1", "s2": "pw-s2", "fusion": "pw-fusion"})
	got := map[string]chan string{"s1": make(chan string, 10), "s2": make(chan string, 10)}
	for _, id := range []string{"s1", "s2"} {
		c, err := connect(t, addr, pool, id, "pw-"+id)
		if err != nil {
			t.Fatal(err)
		}
		// The broker grants the subscription (it cannot tell yet what the
		// filter will match) but delivers only what the ACL lets id read.
		if tok := c.Subscribe("rfw/v1/site1/sensor/s1/cmd", 1, func(_ mqtt.Client, m mqtt.Message) {
			got[id] <- string(m.Payload())
		}); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("%s subscribe: %v", id, tok.Error())
		}
	}
	fusion, err := connect(t, addr, pool, "fusion", "pw-fusion")
	if err != nil {
		t.Fatal(err)
	}
	if tok := fusion.Publish("rfw/v1/site1/sensor/s1/cmd", 1, false, "keep"); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("fusion publish: %v", tok.Error())
	}
	select {
	case msg := <-got["s1"]:
		if msg != "keep" {
			t.Errorf("s1 received %q", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("s1 did not receive fusion's command")
	}
	select {
	case msg := <-got["s2"]:
		t.Fatalf("s2 read s1's command %q: the ACL let it", msg)
	case <-time.After(500 * time.Millisecond):
	}
}

// TestEvidenceTopicACL proves the production ACL for the sensors' evidence
// snippets: a sensor sends on its own evidence topic (a full-size 8 MB
// snippet passes the broker), not on another's; the dashboard reads them;
// fusion, which reads every sensor topic, is not sent megabytes of IQ.
func TestEvidenceTopicACL(t *testing.T) {
	addr, pool := startMosquitto(t, map[string]string{"s1": "pw-s1", "fusion": "pw-fusion", "dashboard": "pw-dashboard"})
	sub := func(user, filter string) chan string {
		c, err := connect(t, addr, pool, user, "pw-"+user)
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan string, 10)
		if tok := c.Subscribe(filter, 1, func(_ mqtt.Client, m mqtt.Message) {
			got <- fmt.Sprintf("%s %d", m.Topic(), len(m.Payload()))
		}); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("%s subscribe: %v", user, tok.Error())
		}
		return got
	}
	dash := sub("dashboard", "rfw/v1/+/evidence/+")
	fusion := sub("fusion", "rfw/v1/+/sensor/#")
	s1, err := connect(t, addr, pool, "s1", "pw-s1")
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 8<<20)
	for _, topic := range []string{"rfw/v1/site1/evidence/s2", "rfw/v1/site1/evidence/s1"} {
		if tok := s1.Publish(topic, 1, false, big); !tok.WaitTimeout(20 * time.Second) {
			t.Fatalf("publish on %s: timeout", topic)
		}
	}
	select {
	case msg := <-dash:
		if msg != fmt.Sprintf("rfw/v1/site1/evidence/s1 %d", len(big)) {
			t.Fatalf("dashboard received %q: want s1's own 8 MB evidence only", msg)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("dashboard did not receive s1's evidence")
	}
	select {
	case msg := <-dash:
		t.Errorf("dashboard received a second message %q", msg)
	case msg := <-fusion:
		t.Errorf("fusion received %q", msg)
	case <-time.After(300 * time.Millisecond):
	}
}

// onlyWriter checks the production ACL of one topic: reader, subscribed
// with filter, receives what writer publishes on topic and nothing that
// forger publishes there.
func onlyWriter(t *testing.T, reader, filter, topic, writer, forger string) {
	t.Helper()
	addr, pool := startMosquitto(t, map[string]string{reader: "pw-" + reader, writer: "pw-" + writer, forger: "pw-" + forger})
	rc, err := connect(t, addr, pool, reader, "pw-"+reader)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 10)
	if tok := rc.Subscribe(filter, 1, func(_ mqtt.Client, m mqtt.Message) { got <- string(m.Payload()) }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("%s subscribe: %v", reader, tok.Error())
	}
	for _, user := range []string{forger, writer} {
		c, err := connect(t, addr, pool, user, "pw-"+user)
		if err != nil {
			t.Fatal(err)
		}
		if tok := c.Publish(topic, 1, false, "from "+user); !tok.WaitTimeout(5 * time.Second) {
			t.Fatalf("%s publish: timeout", user)
		}
	}
	select {
	case msg := <-got:
		if msg != "from "+writer {
			t.Fatalf("%s received %q on %s: want %s's only", reader, msg, topic, writer)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not receive %s's message on %s", reader, writer, topic)
	}
	select {
	case msg := <-got:
		t.Errorf("%s received a second message %q on %s", reader, msg, topic)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestLocationTopicACL: fusion's located emitters reach the dashboard, and
// a sensor cannot forge one (it would draw a phone in any cell).
func TestLocationTopicACL(t *testing.T) {
	onlyWriter(t, "dashboard", "rfw/v1/+/location", "rfw/v1/site1/location", "fusion", "s1")
}

// TestAckTopicACL: fusion hears the dashboard's acknowledgements, through
// its default subscription or a shared group, and a sensor cannot forge one
// (it would silence the reminders of an alert nobody has seen to).
func TestAckTopicACL(t *testing.T) {
	for _, sub := range []string{"rfw/v1/site1/ack", "$share/fusion-site1/rfw/v1/site1/ack"} {
		t.Run(sub, func(t *testing.T) { onlyWriter(t, "fusion", sub, "rfw/v1/site1/ack", "dashboard", "s1") })
	}
}

// TestSessionMarkerACL proves the production ACL carries fusion's session
// marker with no line of its own: fusion publishes it retained on s1's cmd
// topic, s1, subscribing afterwards (as on every connect), receives it,
// and s2 subscribing to the same topic does not.
func TestSessionMarkerACL(t *testing.T) {
	addr, pool := startMosquitto(t, map[string]string{"s1": "pw-s1", "s2": "pw-s2", "fusion": "pw-fusion"})
	fusion, err := connect(t, addr, pool, "fusion", "pw-fusion")
	if err != nil {
		t.Fatal(err)
	}
	const topic = "rfw/v1/site1/sensor/s1/cmd"
	marker := `{"schema":1,"site":"site1","sensor":"s1","time_ns":1,"cmd":"session","detections":null,"fusion":"fusion"}`
	if tok := fusion.Publish(topic, 1, true, marker); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("fusion publish: %v", tok.Error())
	}
	got := map[string]chan string{"s1": make(chan string, 10), "s2": make(chan string, 10)}
	for _, id := range []string{"s1", "s2"} {
		c, err := connect(t, addr, pool, id, "pw-"+id)
		if err != nil {
			t.Fatal(err)
		}
		if tok := c.Subscribe(topic, 1, func(_ mqtt.Client, m mqtt.Message) { got[id] <- string(m.Payload()) }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("%s subscribe: %v", id, tok.Error())
		}
	}
	select {
	case msg := <-got["s1"]:
		if msg != marker {
			t.Errorf("s1 received %q, want the marker", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("s1 did not receive fusion's retained session marker")
	}
	select {
	case msg := <-got["s2"]:
		t.Fatalf("s2 read s1's marker %q: the ACL let it", msg)
	case <-time.After(500 * time.Millisecond):
	}
}

// TestSessionMarkerNotForged: with broker access as a sensor (or as the
// dashboard) a forged retained session marker on a sensor's cmd topic,
// another's or its own, is dropped by the production ACL: it would open
// that sensor's gate on a broker fusion never subscribed on, and its
// detections would be acknowledged and lost. The sensor, subscribing
// afterwards, receives no retained marker until fusion publishes one.
func TestSessionMarkerNotForged(t *testing.T) {
	addr, pool := startMosquitto(t, map[string]string{"s1": "pw-s1", "s2": "pw-s2", "dashboard": "pw-dashboard", "fusion": "pw-fusion"})
	const topic = "rfw/v1/site1/sensor/s1/cmd"
	forged := `{"schema":1,"site":"site1","sensor":"s1","time_ns":1,"cmd":"session","detections":null,"fusion":"forged"}`
	for _, user := range []string{"s1", "s2", "dashboard"} {
		c, err := connect(t, addr, pool, user, "pw-"+user)
		if err != nil {
			t.Fatal(err)
		}
		if tok := c.Publish(topic, 1, true, forged); !tok.WaitTimeout(5 * time.Second) {
			t.Fatalf("%s publish: timeout", user)
		}
		c.Disconnect(100)
	}
	s1, err := connect(t, addr, pool, "s1", "pw-s1")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 10)
	if tok := s1.Subscribe(topic, 1, func(_ mqtt.Client, m mqtt.Message) { got <- string(m.Payload()) }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("s1 subscribe: %v", tok.Error())
	}
	select {
	case msg := <-got:
		t.Fatalf("s1 received a forged marker %q: the ACL let it be retained", msg)
	case <-time.After(time.Second):
	}
	fusion, err := connect(t, addr, pool, "fusion", "pw-fusion")
	if err != nil {
		t.Fatal(err)
	}
	marker := strings.Replace(forged, `"forged"`, `"fusion"`, 1)
	if tok := fusion.Publish(topic, 1, true, marker); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("fusion publish: %v", tok.Error())
	}
	select {
	case msg := <-got:
		if msg != marker {
			t.Errorf("s1 received %q, want fusion's marker", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("s1 did not receive fusion's marker")
	}
}

// TestFusionStatusACL proves the production ACL carries fusion's liveness
// (rfw/v1/{site}/fusion/status) to the dashboard: fusion's retained online,
// and its last will when the broker loses the connection, reach a dashboard
// subscribing afterwards; a sensor cannot forge fusion's status (an online
// would hide a fusion that is down).
func TestFusionStatusACL(t *testing.T) {
	const topic = "rfw/v1/site1/fusion/status"
	onlyWriter(t, "dashboard", "rfw/v1/+/fusion/status", topic, "fusion", "s1")

	addr, pool := startMosquitto(t, map[string]string{"fusion": "pw-fusion", "dashboard": "pw-dashboard"})
	// fusion's will goes on a TCP connection the test can cut, as a crash
	// would, with no DISCONNECT: the broker then publishes the will
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer front.Close()
	cut := make(chan struct{})
	go func() {
		in, err := front.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", addr)
		if err != nil {
			in.Close()
			return
		}
		go io.Copy(out, in)
		go io.Copy(in, out)
		<-cut
		in.Close()
		out.Close()
	}()
	const will = `{"schema":1,"site":"site1","status":"offline","reason":"lost","time_ns":0}`
	opts := mqttlink.NewClientOptions().AddBroker("ssl://"+front.Addr().String()).SetClientID("fusion-test").
		SetUsername("fusion").SetPassword("pw-fusion").SetTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12, ServerName: "127.0.0.1"}).
		SetConnectTimeout(5*time.Second).SetAutoReconnect(false).SetWill(topic, will, 1, true)
	fusion := mqtt.NewClient(opts)
	if tok := fusion.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("fusion connect: %v", tok.Error())
	}
	const online = `{"schema":1,"site":"site1","status":"online","time_ns":1}`
	if tok := fusion.Publish(topic, 1, true, online); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("fusion publish: %v", tok.Error())
	}
	dash, err := connect(t, addr, pool, "dashboard", "pw-dashboard")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 10)
	if tok := dash.Subscribe("rfw/v1/+/fusion/status", 1, func(_ mqtt.Client, m mqtt.Message) { got <- string(m.Payload()) }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("dashboard subscribe: %v", tok.Error())
	}
	for _, want := range []string{online, will} {
		select {
		case msg := <-got:
			if msg != want {
				t.Fatalf("dashboard received %q, want %q", msg, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("dashboard did not receive %q", want)
		}
		if want == online {
			close(cut)
		}
	}
}
